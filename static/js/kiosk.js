/* The kiosk's idle rules: 30 s without a touch on any screen but the first goes back to the
   start (the next resident must not see the last one's number); 90 s idle on the first screen
   shows the information screen, which any touch leaves. */
(function () {
  "use strict";
  var root = document.querySelector("[data-kiosk]");
  if (!root) return;
  var screen = root.getAttribute("data-kiosk");
  if (screen === "info") return;  // a link over the whole screen: any touch goes to the start
  var wait = screen === "start" ? 90000 : 30000;
  var target = screen === "start" ? root.getAttribute("data-info") : root.getAttribute("data-start");
  var timer = null;
  function arm() {
    clearTimeout(timer);
    timer = setTimeout(function () { window.location.assign(target); }, wait);
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (kind) {
    document.addEventListener(kind, arm, { passive: true });
  });
  arm();
})();
