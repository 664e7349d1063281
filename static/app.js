// Small enhancements on top of htmx. Everything works without this file.
(function () {
  // htmx "settles" a swapped element by copying the old one's class, style, width and
  // height attributes onto it for a moment. A style attribute set by anyone (the
  // browser, an extension, a test tool) then comes back as inline style, which our CSP
  // (style-src 'self') refuses, with a console error at every slot refresh. We never
  // use inline style: settle the classes only.
  if (window.htmx && htmx.config) htmx.config.attributesToSettle = ["class"];

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

  // A note at the top of the form that sent the request (one at a time). Nothing
  // is swapped, so every answer stays in the page; pressing the button again
  // sends it again.
  function note(detail, text) {
    var elt = detail && detail.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    var place = form || (detail && detail.target);
    if (!place) return;
    var old = place.querySelector(".offline-note");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "error offline-note";
    p.setAttribute("role", "alert");
    p.textContent = text;
    place.insertBefore(p, place.firstChild);
    if (p.scrollIntoView) p.scrollIntoView({block: "center"});
  }

  // The request never reached the server (the connection dropped).
  document.addEventListener("htmx:sendError", function (event) {
    note(event.detail, document.documentElement.getAttribute("data-offline") || "Offline");
  });

  // The server failed (5xx; htmx swaps nothing): the error page's own heading (in
  // the page's language) says so, in the same place.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var text = "";
    try {
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var heading = page.querySelector("h1") || page.querySelector("title");
      text = heading ? heading.textContent.trim() : "";
    } catch (e) { /* not HTML: the status below */ }
    note(event.detail, text || (xhr ? (xhr.status + " " + xhr.statusText).trim() : "Error"));
  });
})();
