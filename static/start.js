// Tell the server the phone's time zone, so times are shown in local time.
(function () {
  var field = document.getElementById("f-tz");
  try {
    if (field && !field.value) field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) { /* old browser: the country's main zone is used */ }
})();
