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

  // A journey step is answered with the next page itself, swapped into <body> (one
  // round trip; app/fragments.py see_next). Its head may need what this one lacks:
  // scripts (the materials page's upload client) and named metas (its form token).
  // They are added before the swap, also when Back restores a page from the server.
  function adoptHead(html) {
    if (typeof html !== "string" || html.indexOf("<head") < 0 || !window.CSS) return;
    var head;
    try { head = new DOMParser().parseFromString(html, "text/html").head; } catch (e) { return; }
    head.querySelectorAll("meta[name]").forEach(function (meta) {
      var name = meta.getAttribute("name");
      if (name === "htmx-config") return;
      var mine = document.head.querySelector("meta[name=\"" + CSS.escape(name) + "\"]");
      if (mine) mine.setAttribute("content", meta.getAttribute("content") || "");
      else document.head.appendChild(document.importNode(meta, false));
    });
    head.querySelectorAll("script[src]").forEach(function (script) {
      var src = script.getAttribute("src");
      if (document.head.querySelector("script[src=\"" + CSS.escape(src) + "\"]")) return;
      var added = document.createElement("script");
      added.src = src;
      added.async = false;  // in the page's order, as deferred scripts run
      document.head.appendChild(added);
    });
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var d = event.detail;
    if (d && d.boosted && d.shouldSwap) adoptHead(d.serverResponse);
  });
  document.addEventListener("htmx:historyCacheMissLoad", function (event) {
    adoptHead(event.detail && event.detail.response);
  });
  // After a whole page was swapped in, focus starts where a page load would be read
  // from: the error summary if there is one, else the page's heading.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail || !event.detail.boosted) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var first = document.querySelector("#main .error-summary") || document.querySelector("#main h1");
    if (!first) return;
    if (!first.hasAttribute("tabindex")) first.setAttribute("tabindex", "-1");
    first.focus({preventScroll: true});
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
