/* Keeps a page part live without reloading: polls a JSON URL with If-None-Match and, when its
   ETag changes, announces the new JSON as a "balai:update" event on the live element (the
   display board speaks new calls from it), then fetches the server-rendered fragment and swaps
   it in. On a ticket page it also vibrates and beeps when the ticket is called. Pages work
   without this script (meta refresh). */
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.fetch) return;
  var etag = root.getAttribute("data-etag") || null;
  var every = parseInt(root.getAttribute("data-every"), 10) || 5000;

  function state() {
    var el = root.querySelector("[data-status]");
    return el ? el.getAttribute("data-status") + "|" + el.getAttribute("data-calls") : "";
  }

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.6);
    } catch (e) { /* no audio: the vibration and the page still tell */ }
  }

  function alertIfCalled(before) {
    var el = root.querySelector("[data-status]");
    if (!el || el.getAttribute("data-status") !== "called" || state() === before) return;
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
    beep();
    document.title = "🔔 " + document.title.replace(/^🔔 /, "");
  }

  function refresh() {
    var before = state();
    return fetch(root.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        root.innerHTML = html;
        alertIfCalled(before);
      });
  }

  function tick() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(root.getAttribute("data-poll"), { headers: headers, credentials: "same-origin", cache: "no-cache" })
      .then(function (r) {
        var tag = r.headers.get("ETag");
        if (r.status === 200 && tag && tag !== etag) {
          etag = tag;
          return r.json().then(function (data) {
            root.dispatchEvent(new CustomEvent("balai:update", { detail: data }));
            return refresh();
          });
        }
      })
      .catch(function () { /* offline for a moment: try again next tick */ })
      .then(function () { setTimeout(tick, every); });
  }

  setTimeout(tick, every);
})();
