// Hearken's only script: live dashboard updates over server-sent events, and the composer.
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

// Issue #4: the composer shows style-guide violations as the agent types, and finds
// templates. The server enforces both again when the reply is sent.
(function () {
  "use strict";
  var form = document.getElementById("reply-form");
  var text = document.getElementById("reply-text");
  if (!form || !text || !window.fetch) { return; }
  var channel = form.getAttribute("data-channel") || "";
  var conversation = form.getAttribute("data-conversation") || "";
  var locale = form.getAttribute("data-locale") || null;
  var csrf = form.querySelector("input[name=csrf]").value;
  var list = document.getElementById("style-violations");
  var timer = null;
  function item(content, cls) {
    var li = document.createElement("li");
    li.textContent = content;
    if (cls) { li.className = cls; }
    return li;
  }
  function show(violations) {
    list.textContent = "";
    violations.forEach(function (v) {
      var words = v.message + (v.fix ? " (" + v.fix + ")" : "");
      list.appendChild(item(words, v.severity));
    });
  }
  function check() {
    fetch("/api/v1/style-check", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text: text.value, channel: channel, locale: locale })
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) { show(body.violations || []); })
      .catch(function () { /* the server checks again on send */ });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  var q = document.getElementById("template-q");
  var results = document.getElementById("template-results");
  if (!q || !results) { return; }
  var qtimer = null;
  function search() {
    var url = "/api/v1/templates?q=" + encodeURIComponent(q.value) +
      "&channel=" + encodeURIComponent(channel) +
      (conversation ? "&conversation_id=" + encodeURIComponent(conversation) : "");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (templates) {
        results.textContent = "";
        templates.forEach(function (t) {
          var li = item(t.name + ": " + t.body, "template");
          li.tabIndex = 0;
          li.addEventListener("click", function () {
            text.value = t.filled || t.body;
            var used = document.getElementById("template-id");
            if (used) { used.value = t.id; used.disabled = false; }
            check();
          });
          results.appendChild(li);
        });
      })
      .catch(function () { results.textContent = ""; });
  }
  q.addEventListener("input", function () {
    clearTimeout(qtimer);
    qtimer = setTimeout(search, 250);
  });
})();

// Issue #4: the test editor adds question blocks. Without JavaScript the page offers a few
// blank blocks, which is enough to write a short test.
(function () {
  "use strict";
  var form = document.getElementById("new-test");
  var list = document.getElementById("questions");
  if (!form || !list) { return; }
  var next = list.querySelectorAll("fieldset.question").length;
  var bar = form.querySelector(".add-question");
  bar.hidden = false;
  bar.addEventListener("click", function (e) {
    var kind = e.target.getAttribute("data-add");
    var tpl = kind && document.getElementById("question-" + kind);
    if (!tpl) { return; }
    var block = tpl.content.firstElementChild.cloneNode(true);
    var n = String(next++);
    block.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace("__N__", n);
    });
    list.appendChild(block);
  });
})();

// Issue #4: presence. The conversation page says who else has it open and who is writing:
// a heartbeat every 10 s, and at once when the agent starts or stops typing a reply.
// Names are shown with textContent only.
(function () {
  "use strict";
  var box = document.getElementById("presence");
  if (!box || !window.fetch) { return; }
  var url = "/api/v1/conversations/" + encodeURIComponent(box.getAttribute("data-conversation")) + "/presence";
  var csrf = box.getAttribute("data-csrf") || "";
  var text = document.getElementById("reply-text");
  var writing = false;
  var idle = null;
  function show(others) {
    if (!others.length) { box.hidden = true; box.textContent = ""; return; }
    var names = others.map(function (o) { return o.name + (o.writing ? " (writing…)" : ""); });
    box.textContent = "Also here: " + names.join(", ");
    box.hidden = false;
  }
  function beat() {
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ writing: writing })
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) { show(body.others || []); })
      .catch(function () { /* try again on the next beat */ });
  }
  function setWriting(now) {
    if (now === writing) { return; }
    writing = now;
    beat();
  }
  if (text) {
    text.addEventListener("input", function () {
      setWriting(text.value.trim() !== "");
      clearTimeout(idle);
      idle = setTimeout(function () { setWriting(false); }, 5000);
    });
    text.addEventListener("blur", function () { setWriting(false); });
  }
  beat();
  setInterval(beat, 10000);
})();
