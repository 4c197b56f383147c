// afteraction: progressive enhancement only. Every page works without this file; with it, the post-mortem
// editor shows a live preview and the lint findings of the text while the author types.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  var csrf = token ? token.getAttribute("content") : "";

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  function liveEditor(form) {
    var url = form.getAttribute("data-live");
    var area = form.querySelector("textarea[name=text]");
    var box = form.querySelector(".live");
    if (!url || !area || !box) return;
    var sent = null;
    var refresh = function () {
      var text = area.value;
      if (text === sent) return;
      sent = text;
      var body = new URLSearchParams();
      body.set("text", text);
      body.set("csrf_token", csrf);
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null && area.value === text) box.innerHTML = html; })
        .catch(function () { /* the Preview button still works */ });
    };
    area.addEventListener("input", debounce(refresh, 500));
    var details = form.closest("details");
    if (details) details.addEventListener("toggle", function () { if (details.open) refresh(); });
    if (!details || details.open) refresh();
  }

  document.querySelectorAll("form.editor[data-live]").forEach(liveEditor);
})();
