// Hearken's only script: live dashboard updates over server-sent events.
// Everything else works without JavaScript.
(function () {
  "use strict";
  var panel = document.getElementById("dashboard-panel");
  if (!panel || !window.EventSource) { return; }
  var state = document.getElementById("live-state");
  var pending = false;
  function refresh() {
    if (pending) { return; }
    pending = true;
    setTimeout(function () {
      fetch("/dashboard/panel", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { panel.innerHTML = html; })
        .catch(function () { if (state) { state.textContent = "reconnecting"; } })
        .then(function () { pending = false; });
    }, 500);
  }
  var source = new EventSource(panel.getAttribute("data-live"));
  source.addEventListener("changed", refresh);
  source.onopen = function () { if (state) { state.textContent = "live"; } };
  source.onerror = function () { if (state) { state.textContent = "reconnecting"; } };
})();
