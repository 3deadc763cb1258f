// skillcert exam page: saves every change at once, shows "已保存 hh:mm:ss" only from the
// server's acknowledgement, keeps unacknowledged changes queued in localStorage (so a
// reload or a dead network loses nothing) and retries them, flushes on page hide, and
// counts down from the time the server gives. Without JavaScript the page is a plain
// form that saves and submits by posting.
(function () {
  "use strict";
  var root = document.getElementById("exam");
  var paper = document.getElementById("paper");
  if (!root) return;
  var labels = JSON.parse(document.getElementById("exam-labels").textContent);
  var attempt = root.getAttribute("data-attempt");
  var csrf = root.getAttribute("data-csrf");
  var status = root.getAttribute("data-status");

  // Once the attempt is over nothing more can be saved: forget the queue (it was kept
  // until now, so a submit that failed on the way lost nothing).
  if (attempt && (status === "submitted" || status === "terminated")) {
    try { localStorage.removeItem("sc_exam_queue_" + attempt); } catch (e) {}
  }
  // The waiting room polls until the proctor admits the candidate.
  if (status === "ready") {
    setInterval(function () {
      fetch("/api/v1/exam/state", { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (s) { if (s.status && s.status !== "ready") location.reload(); }).catch(function () {});
    }, 3000);
    return;
  }
  if (!paper || !attempt) return;
  paper.setAttribute("data-js", "1");

  var QKEY = "sc_exam_queue_" + attempt, SKEY = "sc_exam_seq_" + attempt, FKEY = "sc_exam_marks_" + attempt;
  function load(k, d) { try { var v = localStorage.getItem(k); return v ? JSON.parse(v) : d; } catch (e) { return d; } }
  function store(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) {} }
  var queue = load(QKEY, {});           // position -> {seq, answer}
  var seq = Math.max(load(SKEY, 0), parseInt(root.getAttribute("data-last-seq") || "0", 10));
  // Marks live on the server (they follow the candidate to another computer); a mark
  // not yet acknowledged waits here, like an answer.
  var pendingMarks = load(FKEY, {});      // position -> marked
  var inflight = false, retryDelay = 500, closed = false;
  var saveState = document.getElementById("save-state");

  // While the proctor has paused the exam, and once the time is up, answers cannot
  // change (the server would refuse them anyway).
  function setEnabled(on) {
    var els = paper.querySelectorAll("section.question input:not(.flag-box), section.question textarea");
    for (var i = 0; i < els.length; i++) els[i].disabled = !on;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function hms(ms) { var d = new Date(ms); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
  function show(text, cls) { if (saveState) { saveState.textContent = text; saveState.className = cls || ""; } }
  var banner = document.getElementById("paused-banner");
  // The banner under the bar, and the bar itself (it stays in view while scrolling).
  function showPaused(on) { if (banner) banner.hidden = !on; if (on) show(labels.paused, "warn"); }
  function isAnswered(a) { return a !== null && !(typeof a === "string" && a.trim() === "") && !(Array.isArray(a) && a.length === 0); }
  function unanswered() {
    var n = 0, all = paper.querySelectorAll("section.question");
    for (var i = 0; i < all.length; i++) if (!isAnswered(answerOf(all[i]))) n++;
    return n;
  }
  var countEl = document.getElementById("answered-count");
  function updateCount() { if (countEl) countEl.textContent = String(paper.querySelectorAll("section.question").length - unanswered()); }

  function answerOf(section) {
    var pos = section.getAttribute("data-pos"), type = section.getAttribute("data-type");
    var inputs = section.querySelectorAll("[name='a" + pos + "']");
    if (type === "true_false") {
      for (var i = 0; i < inputs.length; i++) if (inputs[i].checked) return inputs[i].value === "true";
      return null;
    }
    if (type === "single_choice" || type === "multiple_choice") {
      var out = [];
      for (var j = 0; j < inputs.length; j++) if (inputs[j].checked) out.push(parseInt(inputs[j].value, 10));
      return out;
    }
    return inputs.length ? inputs[0].value : null;
  }

  function apply(section, answer) {
    var pos = section.getAttribute("data-pos");
    var inputs = section.querySelectorAll("[name='a" + pos + "']");
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "radio" || el.type === "checkbox") {
        if (typeof answer === "boolean") el.checked = (el.value === String(answer));
        else el.checked = Array.isArray(answer) && answer.indexOf(parseInt(el.value, 10)) >= 0;
      } else { el.value = answer == null ? "" : answer; }
    }
  }

  function mark(pos) {
    var link = document.querySelector("#navigator a[data-pos='" + pos + "']");
    var section = document.getElementById("q" + pos);
    if (!link || !section) return;
    var box = section.querySelector(".flag-box");
    link.classList.toggle("answered", isAnswered(answerOf(section)));
    link.classList.toggle("flagged", !!(box && box.checked));
    link.classList.toggle("pending", !!queue[pos]);
    updateCount();
  }

  function sendMarks() {
    Object.keys(pendingMarks).forEach(function (pos) {
      var marked = pendingMarks[pos];
      fetch("/api/v1/exam/marks", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ position: parseInt(pos, 10), marked: marked })
      }).then(function (r) {
        if (r.status === 204 && pendingMarks[pos] === marked) { delete pendingMarks[pos]; store(FKEY, pendingMarks); }
      }).catch(function () {});
    });
  }

  // Every change is queued (and persisted) at once; `later` only delays the send, so
  // text typed in a burst goes as one save.
  var sendTimer = null;
  function changed(section, later) {
    var pos = section.getAttribute("data-pos");
    seq += 1; store(SKEY, seq);
    queue[pos] = { seq: seq, answer: answerOf(section) };
    store(QKEY, queue);
    mark(pos);
    show(labels.unsaved, "pending");
    clearTimeout(sendTimer);
    if (later) sendTimer = setTimeout(flush, 400); else flush();
  }

  function flush(keepalive) {
    if (inflight || closed) return;
    var changes = [];
    for (var pos in queue) if (queue.hasOwnProperty(pos)) changes.push({ position: parseInt(pos, 10), seq: queue[pos].seq, answer: queue[pos].answer });
    if (!changes.length) return;
    // The server takes at most 500 changes a request; after a long outage, send in parts.
    changes = changes.slice(0, 100);
    inflight = true;
    show(labels.unsaved, "pending");
    fetch("/api/v1/exam/answers", {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ changes: changes })
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      inflight = false;
      if (res.status === 200) {
        // Only what the server acknowledged leaves the queue; newer changes stay.
        changes.forEach(function (c) {
          var q = queue[c.position];
          if (q && q.seq <= c.seq) delete queue[c.position];
          mark(c.position);
        });
        store(QKEY, queue);
        retryDelay = 500;
        show(labels.saved + " " + hms(res.body.saved_at_ms), "saved");
        flush();
      } else if (res.status === 409 && res.body.error && res.body.error.code === "attempt_paused") {
        show(labels.paused, "warn");
        paused = true;
        showPaused(true);
        setEnabled(false);
        setTimeout(flush, 3000);
      } else if (res.status === 409 || res.status === 401) {
        closed = true;
        show(labels.closed, "warn");
        setTimeout(function () { location.reload(); }, 1500);
      } else if (res.status === 403) {
        // A stale token (the session was replaced): the queue is kept; reload for a new one.
        closed = true;
        setTimeout(function () { location.reload(); }, 1500);
      } else if (res.status === 422) {
        // The server can never accept the change it names (`changes[i]…`): drop that one
        // change, which would otherwise block every later save, and send the rest again.
        var f = res.body.error && res.body.error.fields && res.body.error.fields[0];
        var m = f && /^changes\[(\d+)\]/.exec(f.field);
        var bad = m ? [changes[parseInt(m[1], 10)]] : changes;
        bad.forEach(function (c) { var q = c && queue[c.position]; if (q && q.seq <= c.seq) delete queue[c.position]; });
        store(QKEY, queue);
        show(labels.unsaved, "warn");
        setTimeout(flush, 500);
      } else {
        retry();
      }
    }).catch(function () { inflight = false; retry(); });
  }

  function retry() {
    show(labels.unsaved, "warn");
    setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  }

  // Changes queued before a reload are newer than what the server sent: show them.
  var sections = paper.querySelectorAll("section.question");
  for (var i = 0; i < sections.length; i++) {
    var s = sections[i], pos = s.getAttribute("data-pos");
    if (queue[pos]) apply(s, queue[pos].answer);
    var box = s.querySelector(".flag-box");
    if (box) {
      if (pendingMarks.hasOwnProperty(pos)) box.checked = pendingMarks[pos];
      box.addEventListener("change", (function (p, b) { return function (e) { e.stopPropagation(); pendingMarks[p] = b.checked; store(FKEY, pendingMarks); mark(p); sendMarks(); }; })(pos, box));
    }
    mark(pos);
  }
  paper.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("flag-box")) return;
    if (e.target.tagName === "TEXTAREA") return;
    var section = e.target.closest ? e.target.closest("section.question") : null;
    if (section) changed(section);
  });
  paper.addEventListener("input", function (e) {
    if (e.target.tagName === "TEXTAREA") changed(e.target.closest("section.question"), true);
  });
  // Submitting: flush first, and let the form carry the answers as well.
  document.getElementById("submit-paper").addEventListener("click", function (e) {
    // The form carries every answer as shown; the queue is kept until a page shows
    // the attempt submitted, in case this post does not get through.
    var left = unanswered();
    var ask = left > 0 ? labels.confirm_unanswered.replace("{detail}", String(left)) : labels.confirm;
    if (!confirm(ask)) { e.preventDefault(); return; }
  });
  document.getElementById("save-all").addEventListener("click", function (e) { e.preventDefault(); flush(); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(true); });
  window.addEventListener("pagehide", function () { flush(true); });
  window.addEventListener("online", function () { retryDelay = 500; flush(); sendMarks(); });
  flush();
  sendMarks();

  // The question in view is "current" in the navigator: the first one whose lower
  // edge is below the sticky bar.
  var current = null, bar = document.getElementById("exam-bar"), scheduled = false;
  function findCurrent() {
    scheduled = false;
    var top = bar ? bar.getBoundingClientRect().bottom + 8 : 0, pos = null;
    for (var k = 0; k < sections.length; k++) {
      if (sections[k].getBoundingClientRect().bottom > top + 40) { pos = sections[k].getAttribute("data-pos"); break; }
    }
    var link = pos === null ? null : document.querySelector("#navigator a[data-pos='" + pos + "']");
    if (link === current) return;
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = link;
    if (current) { current.classList.add("current"); current.setAttribute("aria-current", "step"); }
  }
  window.addEventListener("scroll", function () { if (!scheduled) { scheduled = true; requestAnimationFrame(findCurrent); } }, { passive: true });
  findCurrent();

  // The clock: the server's remaining time, counted down locally and re-synchronised.
  var clock = document.getElementById("clock");
  var remaining = parseInt(root.getAttribute("data-remaining") || "0", 10);
  var base = Date.now(), paused = status === "paused";
  function tick() {
    var left = paused ? remaining : Math.max(0, remaining - (Date.now() - base));
    var s = Math.floor(left / 1000);
    clock.textContent = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    if (left <= 0 && !closed) { setEnabled(false); flush(); }
  }
  if (paused) { setEnabled(false); showPaused(true); }
  setInterval(tick, 1000); tick();
  setInterval(function () {
    fetch("/api/v1/exam/state", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (st) {
      if (st.remaining_ms != null) { remaining = st.remaining_ms; base = Date.now(); }
      var wasPaused = paused;
      paused = st.status === "paused";
      if (st.status === "submitted" || st.status === "terminated") location.reload();
      if (wasPaused && !paused) { setEnabled(true); showPaused(false); show("", ""); flush(); }
      if (paused) { setEnabled(false); showPaused(true); }
    }).catch(function () {});
  }, 15000);
})();
