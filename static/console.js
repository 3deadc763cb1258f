// skillcert proctor console: refreshes the room's roster every few seconds without
// reloading, and sends actions through the API (the forms also work without this).
(function () {
  "use strict";
  var table = document.getElementById("console");
  if (!table) return;
  var session = table.getAttribute("data-session"), csrf = table.getAttribute("data-csrf");
  var labels = JSON.parse(document.getElementById("console-labels").textContent);
  var msg = document.getElementById("console-msg");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function hms(ms) { var d = new Date(ms); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (b) { return { ok: r.ok, body: b }; }); });
  }
  function refresh() {
    fetch("/api/v1/sessions/" + session + "/roster", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      data.roster.forEach(function (e) {
        var row = table.querySelector("tr[data-attempt='" + e.attempt_id + "']");
        if (!row) return;
        var status = e.status || "";
        if (status === "in_progress" && e.deadline_ms) {
          var left = Math.max(0, Math.round((e.deadline_ms - data.server_now_ms) / 60000));
          row.querySelector(".status").textContent = labels[status] + " (" + left + "′)";
        } else { row.querySelector(".status").textContent = labels[status] || ""; }
        row.querySelector(".progress").textContent = e.answered + "/" + e.item_count;
        row.querySelector(".saved").textContent = e.last_saved_at_ms ? hms(e.last_saved_at_ms) : "";
        row.className = status;
      });
      document.getElementById("live-at").textContent = hms(data.server_now_ms);
    }).catch(function () {});
  }
  table.addEventListener("submit", function (e) {
    var f = e.target;
    e.preventDefault();
    var attempt, url, body;
    if (f.classList.contains("act")) {
      attempt = f.getAttribute("action").split("/")[3];
      url = "/api/v1/attempts/" + attempt + "/actions";
      body = { action: f.action.value, minutes: f.minutes.value ? parseInt(f.minutes.value, 10) : null, reason: f.reason.value };
    } else {
      attempt = f.getAttribute("data-attempt");
      url = "/api/v1/attempts/" + attempt + "/irregularities";
      body = { outcome: f.outcome.value, description: f.description.value };
    }
    post(url, body).then(function (res) {
      msg.textContent = res.ok ? "✓" : ((res.body.error && (res.body.error.fields[0] ? res.body.error.fields[0].message : res.body.error.message)) || "✗");
      refresh();
    });
  });
  setInterval(refresh, 3000);
  refresh();
})();
