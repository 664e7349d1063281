// Small enhancements on top of htmx. Everything works without this file.
(function () {
  // After a material slot is swapped, keep keyboard and screen-reader users in
  // place: focus returns to the slot's heading instead of falling to <body>.
  document.addEventListener("htmx:afterSettle", function (event) {
    var slot = event.target && event.target.closest ? event.target.closest(".slot") : null;
    if (!slot) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var heading = slot.querySelector("h2");
    var error = slot.querySelector(".error");
    (error || heading).setAttribute("tabindex", "-1");
    (error || heading).focus();
  });
  // A request that never reached the server: say so, the answers stay in the page.
  document.addEventListener("htmx:sendError", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    var note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = document.documentElement.getAttribute("data-offline") || "Offline";
    target.insertBefore(note, target.firstChild);
  });
})();
