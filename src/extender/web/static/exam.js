// Exam page: autosave every change at once, retry until the server acknowledges it, and
// show the server's clock. Works without this file too: the form posts on "Save and next".
(function () {
  "use strict";
  var form = document.getElementById("item-form");
  var status = document.getElementById("save-status");
  var clock = document.getElementById("time-left");
  var csrf = document.querySelector("input[name=csrf_token]");
  var queueKey = "extender-exam-queue";

  function say(text) { if (status) { status.textContent = text; } }
  function queue() { try { return JSON.parse(localStorage.getItem(queueKey) || "[]"); } catch (e) { return []; } }
  function store(q) { localStorage.setItem(queueKey, JSON.stringify(q)); }

  function send() {
    var q = queue();
    if (!q.length) { return; }
    var next = q[0];
    say("Saving…");
    fetch(next.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": next.csrf },
      body: JSON.stringify(next.body)
    }).then(function (r) {
      if (r.ok) {
        store(queue().filter(function (x) { return x.body.idempotency_key !== next.body.idempotency_key; }));
        say("Saved");
        return r.json().then(function (ack) { if (clock) { clock.dataset.remaining = Math.floor(ack.remaining_seconds); } send(); });
      }
      if (r.status >= 400 && r.status < 500) {
        store(queue().slice(1));
        return r.json().then(function (e) { say("Not saved: " + e.error.message); if (r.status === 409) { location.reload(); } });
      }
      throw new Error("server " + r.status);
    }).catch(function () { say("Offline — your answer is kept here and will be saved when the connection returns"); setTimeout(send, 3000); });
  }

  function answer() {
    if (form.dataset.type === "ordering") {
      var ranks = Array.prototype.map.call(form.querySelectorAll("input[name^=rank-]"), function (i) {
        return { id: i.name.slice(5), rank: parseInt(i.value, 10) };
      });
      if (ranks.some(function (r) { return isNaN(r.rank); })) { return null; }
      return ranks.sort(function (a, b) { return a.rank - b.rank; }).map(function (r) { return r.id; });
    }
    return Array.prototype.map.call(form.querySelectorAll("input[name=answer]:checked"), function (i) { return i.value; });
  }

  if (form) {
    var shownAt = Date.now();
    form.addEventListener("change", function () {
      var chosen = answer();
      if (chosen === null) { return; }
      var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "") : String(Date.now()) + Math.random().toString(16).slice(2);
      var q = queue();
      q.push({ url: form.dataset.saveUrl, csrf: csrf.value, body: {
        item: parseInt(form.dataset.item, 10), answer: chosen,
        flagged: !!form.querySelector("input[name=flagged]:checked"),
        idempotency_key: key, seq: Date.now(), seconds_spent: (Date.now() - shownAt) / 1000
      } });
      shownAt = Date.now();
      store(q);
      send();
    });
    send();
    window.addEventListener("online", send);
  }

  if (clock) {
    setInterval(function () {
      var left = Math.max(0, parseInt(clock.dataset.remaining, 10) - 1);
      clock.dataset.remaining = left;
      var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      clock.textContent = h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
      if (left === 0) { location.reload(); }
    }, 1000);
  }
}());
