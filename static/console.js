// skillcert proctor console: refreshes the room's roster every few seconds without
// reloading, shows each row only the actions its state allows, asks before ending an
// exam, and says in the row what an action did (or why it was refused). Without this
// script every action is a plain form that comes back to the console with the same
// message.
(function () {
  "use strict";
  var table = document.getElementById("console");
  if (!table) return;
  var session = table.getAttribute("data-session"), csrf = table.getAttribute("data-csrf");
  var words = JSON.parse(table.getAttribute("data-words"));
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // China Standard Time, as the server writes times.
  function hms(ms) { var d = new Date(ms + 8 * 3600e3); return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()); }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (b) { return { ok: r.ok, body: b }; }); });
  }
  // Shows the actions that apply to a row's status, hides the rest.
  function fit(row, status, locked) {
    row.setAttribute("data-status", status);
    row.className = status;
    Array.prototype.forEach.call(row.querySelectorAll("[data-when]"), function (el) {
      el.hidden = el.getAttribute("data-when").split(" ").indexOf(status) < 0;
    });
    Array.prototype.forEach.call(row.querySelectorAll("[data-locked], .locked"), function (el) { el.hidden = !locked; });
  }
  function say(row, text, ok) {
    var m = row.querySelector(".row-msg");
    if (m) { m.textContent = text; m.className = "row-msg " + (ok ? "ok" : "bad"); }
  }
  function refresh() {
    fetch("/api/v1/sessions/" + session + "/roster", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      var locked = data.locked_out || [];
      data.roster.forEach(function (e) {
        var row = table.querySelector("tr[data-attempt='" + e.attempt_id + "']");
        if (!row) return;
        var status = e.status || "";
        var label = words.status[status] || "";
        if (status === "in_progress" && e.deadline_ms) {
          label += " (" + Math.max(0, Math.round((e.deadline_ms - data.server_now_ms) / 60000)) + "′)";
        }
        row.querySelector(".status").textContent = label;
        row.querySelector(".progress").textContent = e.answered + "/" + e.item_count;
        row.querySelector(".saved").textContent = e.last_saved_at_ms ? hms(e.last_saved_at_ms) : "";
        fit(row, status, locked.indexOf(e.admission_no) >= 0);
      });
      document.getElementById("live-at").textContent = hms(data.server_now_ms);
    }).catch(function () {});
  }
  table.addEventListener("submit", function (e) {
    var f = e.target, row = f.closest("tr");
    var button = f.querySelector("button[data-confirm]");
    if (button && !confirm(button.getAttribute("data-confirm"))) { e.preventDefault(); return; }
    e.preventDefault();
    var attempt = row.getAttribute("data-attempt"), url, body, done;
    if (f.classList.contains("unlock")) {
      url = "/api/v1/sessions/" + session + "/unlock";
      body = { admission_no: row.getAttribute("data-admission") };
      done = words.unlocked;
    } else if (f.classList.contains("irr")) {
      url = "/api/v1/attempts/" + attempt + "/irregularities";
      body = { outcome: f.outcome.value, description: f.description.value };
      done = words.recorded;
    } else {
      var action = f.getAttribute("data-action");
      url = "/api/v1/attempts/" + attempt + "/actions";
      body = { action: action, minutes: f.minutes && f.minutes.value ? parseInt(f.minutes.value, 10) : null, reason: f.reason ? f.reason.value : null };
      done = words.done[action];
    }
    post(url, body).then(function (res) {
      if (res.ok) { say(row, done, true); f.reset(); }
      else {
        var err = res.body.error || {};
        var field = err.fields && err.fields[0];
        say(row, field ? (field.label ? field.label + "：" : "") + field.message : (err.message || words.failed), false);
      }
      refresh();
    }).catch(function () { say(row, words.failed, false); });
  });
  setInterval(refresh, 3000);
  refresh();
})();
