// Tell the server the phone's time zone, so times are shown in local time.
// Loaded async (start.html): htmx, which the form needs, does not wait for it on a slow
// link; so it waits for the page itself, and fills the field again when Back brings
// the start page back through htmx.
(function () {
  function fill() {
    var field = document.getElementById("f-tz");
    try {
      if (field && !field.value) field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) { /* old browser: the country's main zone is used */ }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
  document.addEventListener("htmx:afterSettle", fill);
})();
