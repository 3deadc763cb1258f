// skillcert inspector view: keeps each room's counts and the proctor-action log current
// without reloading (so a finding being typed is never lost).
(function () {
  "use strict";
  var table = document.getElementById("inspect-sessions");
  if (!table) return;
  var plan = table.getAttribute("data-plan");
  var log = document.getElementById("proctor-actions");
  // Action names and outcomes in the page's language, rendered by the server.
  var words = JSON.parse(log.getAttribute("data-words"));
  var sessions = {};
  Array.prototype.forEach.call(table.querySelectorAll("tr[data-session]"), function (tr) {
    sessions[tr.getAttribute("data-session")] = tr.cells[0].textContent + " " + tr.cells[1].textContent;
  });
  function detail(a) {
    if (a.action === "admit_all") return words.admitted.replace("{detail}", a.detail);
    if (a.action === "irregularity" && a.outcome) return (words.outcomes[a.outcome] || a.outcome) + "：" + a.detail;
    return a.detail;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // China Standard Time, as the server writes times.
  function hms(ms) { var d = new Date(ms + 8 * 3600e3); return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()); }
  function cell(tr, text) { var td = document.createElement("td"); td.textContent = text == null ? "" : String(text); tr.appendChild(td); }
  function refresh() {
    fetch("/api/v1/plans/" + plan + "/live", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (live) {
      var counts = {};
      live.roster.forEach(function (e) {
        var c = counts[e.session_id] || (counts[e.session_id] = { in_progress: 0, paused: 0, submitted: 0 });
        if (e.status === "in_progress") c.in_progress++;
        else if (e.status === "paused") c.paused++;
        else if (e.status === "submitted" || e.status === "terminated") c.submitted++;
      });
      Array.prototype.forEach.call(table.querySelectorAll("tr[data-session]"), function (tr) {
        var c = counts[tr.getAttribute("data-session")] || { in_progress: 0, paused: 0, submitted: 0 };
        ["in_progress", "paused", "submitted"].forEach(function (k) { tr.querySelector("." + k).textContent = c[k]; });
      });
      var body = log.querySelector("tbody");
      if (live.actions.length) {
        body.textContent = "";
        live.actions.forEach(function (a) {
          var tr = document.createElement("tr");
          cell(tr, hms(a.at_ms)); cell(tr, a.actor); cell(tr, words.actions[a.action] || a.action);
          cell(tr, sessions[a.session_id] || a.session_id); cell(tr, detail(a));
          tr.cells[2].setAttribute("data-action", a.action);
          body.appendChild(tr);
        });
      }
      document.getElementById("live-at").textContent = hms(live.server_now_ms);
    }).catch(function () {});
  }
  setInterval(refresh, 5000);
  refresh();
})();
