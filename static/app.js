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
// A journey step posted while the connection is down is not lost: the page stays,
// with every answer, and says it was not sent; pressing the button again retries.
(function () {
  if (!window.fetch || !window.URLSearchParams) return;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-keep-offline")) return;
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    var old = form.querySelector(".offline-note");
    if (old) old.remove();
    fetch(form.action, {method: "POST", body: new URLSearchParams(data), credentials: "same-origin"})
      .then(function (response) {
        return response.text().then(function (html) {
          if (response.url && response.url !== location.href) history.pushState(null, "", response.url);
          document.open();
          document.write(html);
          document.close();
        });
      })
      .catch(function () {
        var note = document.createElement("p");
        note.className = "error offline-note";
        note.setAttribute("role", "alert");
        note.textContent = document.documentElement.getAttribute("data-offline") || "Offline";
        form.insertBefore(note, form.firstChild);
        note.scrollIntoView({block: "center"});
      });
  });
})();
