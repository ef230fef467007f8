/* The console's clock banner: shows the official's own device time next to the appliance's, both
   ticking and both in the village's time zone, so a difference is plain to see; and puts the
   device's time (milliseconds since 1970, and its time zone) into the "set the clock" form when it
   is sent, instead of the typed date and time. Without this script the banner asks to compare
   with a phone or a watch, and the admin types the time. */
(function () {
  "use strict";
  var banner = document.querySelector("[data-clock]");
  var forms = document.querySelectorAll("[data-device-form]");
  var i;

  function formatter(timeZone) {
    var options = {
      weekday: "long", day: "numeric", month: "long", year: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: timeZone
    };
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options);
    } catch (e) {
      return null; /* an old browser without the zone: its own way of writing a time */
    }
  }

  function showClocks() {
    var format = formatter(banner.getAttribute("data-timezone"));
    var applianceAtLoad = parseInt(banner.getAttribute("data-appliance-ms"), 10);
    var loaded = Date.now();
    var appliance = banner.querySelector("[data-appliance-time]");
    var device = banner.querySelector("[data-device-time]");
    function write(element, ms) {
      var when = new Date(ms);
      element.textContent = format ? format.format(when) : when.toLocaleString();
    }
    function tick() {
      var now = Date.now();
      write(appliance, applianceAtLoad + (now - loaded));
      write(device, now);
    }
    var shown = banner.querySelectorAll("[data-device]");
    for (i = 0; i < shown.length; i++) shown[i].hidden = false;
    var hidden = banner.querySelectorAll("[data-no-js]");
    for (i = 0; i < hidden.length; i++) hidden[i].hidden = true;
    tick();
    window.setInterval(tick, 1000);
  }

  function useDeviceTime(form) {
    var manual = form.querySelector("[data-manual]");
    if (manual) {
      manual.hidden = true;
      manual.querySelector("input").disabled = true;
    }
    form.addEventListener("submit", function () {
      form.elements.device_ms.value = String(Date.now());
      form.elements.device_tz.value = String(-new Date().getTimezoneOffset());
    });
  }

  if (banner) showClocks();
  for (i = 0; i < forms.length; i++) useDeviceTime(forms[i]);
})();
