/* The kiosk's idle rules: 30 s without a touch on any screen but the first goes back to the
   start (the next resident must not see the last one's number); 90 s idle on the first screen
   shows the information screen, which any touch leaves. */
(function () {
  "use strict";
  var root = document.querySelector("[data-kiosk]");
  if (!root) return;
  var screen = root.getAttribute("data-kiosk");
  if (screen === "info") {
    /* A link over the whole screen: any touch goes to the start. It stays current in place every
       30 s rather than by reloading (nothing flashes, and a screen reader keeps its place). */
    setInterval(function () {
      fetch(window.location.href, { headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-kiosk]");
          if (fresh) root.innerHTML = fresh.innerHTML;
        })
        .catch(function () {});
    }, 30000);
    return;
  }
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

  /* The ticket screen follows its receipt ("being printed" → "printed", or a printer problem)
     until it settles; bounded, since the screen returns to the start after 30 s anyway. */
  var printing = root.getAttribute("data-printing");
  var box = document.getElementById("receipt");
  var polls = 0;
  function settled() {
    var state = box.querySelector("[data-receipt]");
    return !state || ["printed", "uncertain"].indexOf(state.getAttribute("data-receipt")) >= 0;
  }
  function follow() {
    if (settled() || ++polls > 40) return;
    fetch(printing, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () {})
      .then(function () { setTimeout(follow, 1000); });
  }
  if (printing && box) setTimeout(follow, 500);
})();
