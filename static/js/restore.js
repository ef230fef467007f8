/* The page shown while the appliance restores a backup. Balai stops and starts again meanwhile,
   so this asks the console every few seconds whether the restore has finished (a failed request
   means Balai is still down) and then opens the backups page, which shows the result. A sign-in
   page instead of an answer means Balai is back with the backup's accounts: the backups page
   then asks to sign in. Without JavaScript a meta refresh opens the backups page once. */
(function () {
  "use strict";
  var root = document.querySelector("[data-restore-state]");
  if (!root || !window.fetch) return;
  var stateUrl = root.getAttribute("data-restore-state");
  var doneUrl = root.getAttribute("data-done");
  var tries = 0;

  function later() {
    tries += 1;
    if (tries < 200) window.setTimeout(check, 3000); // about ten minutes; the page says what to do then
  }

  function check() {
    fetch(stateUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("not back yet");
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") !== 0) return { finished: true };
        return response.json();
      })
      .then(function (state) {
        if (state.finished) window.location.assign(doneUrl);
        else later();
      }, later);
  }

  window.setTimeout(check, 5000);
})();
