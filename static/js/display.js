/* The display board speaks every new call and shows the village's clock.

   live.js keeps the board current; on each "balai:update" with the board's JSON this script
   queues, for each call it has not seen (recalls too), a chime and the call's voice clips
   (rendered by `python -m portal voices`, listed in manifest.json). Calls are played one after the other, never over each other. If a clip is missing it says the
   call with the browser's own speech instead. The TV's Chromium runs with
   --autoplay-policy=no-user-gesture-required, so sound starts without a click. */
(function () {
  "use strict";
  var root = document.querySelector("[data-board]");
  if (!root || !window.fetch) return;
  var voices = root.getAttribute("data-voices");
  var seen = {};
  (root.getAttribute("data-calls") || "").split(",").forEach(function (id) { if (id) seen[id] = true; });
  var manifest = null;
  var queue = [];
  var playing = false;

  fetch(voices + "manifest.json").then(function (r) { return r.ok ? r.json() : null; })
    .then(function (m) { manifest = m; }).catch(function () { manifest = null; });

  function clipsFor(call) {
    if (!manifest || !manifest._chime) return null;
    var files = [manifest._chime];
    for (var i = 0; i < call.words.length; i++) {
      if (!manifest[call.words[i]]) return null;
      files.push(manifest[call.words[i]]);
    }
    return files;
  }

  function speak(text, done) {
    if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) return done();
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "id-ID";
    utterance.onend = utterance.onerror = done;
    window.speechSynthesis.speak(utterance);
  }

  function playFiles(files, text, done) {
    if (!files.length) return done();
    var audio = new Audio(voices + files[0]);
    audio.onended = function () { playFiles(files.slice(1), text, done); };
    audio.onerror = function () { speak(text, done); };
    var started = audio.play();
    if (started && started.catch) started.catch(function () { speak(text, done); });
  }

  function next() {
    if (playing || !queue.length) return;
    playing = true;
    var call = queue.shift();
    var finish = function () { playing = false; setTimeout(next, 400); };
    var files = clipsFor(call);
    if (files) playFiles(files, call.text, finish); else speak(call.text, finish);
  }

  function announce(board) {
    var fresh = board.last_calls.filter(function (c) { return !seen[c.call] && c.words.length; });
    fresh.reverse().forEach(function (c) { seen[c.call] = true; queue.push(c); });  // oldest first
    next();
  }

  root.addEventListener("balai:update", function (event) { announce(event.detail); });

  var clock = document.querySelector("[data-clock]");
  function showTime() {
    try {
      clock.textContent = new Date().toLocaleString(clock.getAttribute("data-lang") === "en" ? "en-GB" : "id-ID", {
        timeZone: clock.getAttribute("data-timezone"), weekday: "long", day: "numeric", month: "long",
        hour: "2-digit", minute: "2-digit"
      });
    } catch (e) { clock.textContent = new Date().toLocaleTimeString(); }
  }
  if (clock) { showTime(); setInterval(showTime, 10000); }
})();
