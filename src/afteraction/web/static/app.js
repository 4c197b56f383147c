// afteraction: progressive enhancement only. Every page works without this file; with it, the post-mortem
// editor shows a live preview and the lint findings of the text while the author types, and changes its lists
// (whys, factors, lessons, action items, other sections) in place.
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

// The post-mortem editor's changes in place (htmx, /static/htmx.min.js): each form still posts as a plain form
// without script; with it, the server answers the part of the page that changed and htmx swaps it in.
(function () {
  "use strict";
  if (!window.htmx) return;

  // A new message replaces the last one: the page keeps one answer to the last change.
  document.addEventListener("htmx:beforeRequest", function () {
    document.querySelectorAll("main .flash").forEach(function (old) { old.remove(); });
  });

  // An answer that is not the part asked for (the sign-in page after a session ended, an error page) is shown as
  // a page of its own, as the plain form would have shown it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var asked = event.detail.requestConfig ? event.detail.requestConfig.path : null;
    if (xhr && xhr.responseURL && asked && new URL(xhr.responseURL).pathname !== new URL(asked, location.href).pathname) {
      event.detail.shouldSwap = false;
      location.assign(xhr.responseURL);
    }
  });
  function fallBack(event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (form) HTMLFormElement.prototype.submit.call(form);  // the same change as a plain form post
  }
  document.addEventListener("htmx:responseError", fallBack);
  document.addEventListener("htmx:sendError", fallBack);

  // A part refreshed because another changed (the action items after a why was added) keeps what the person was
  // doing in it: the forms they opened, what they typed or chose, and the field they were in.
  var focused = null;
  function changed(field) {
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return field.type !== "hidden" && field.value !== field.defaultValue;
  }
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target, fragment = event.detail.fragment;
    if (!target || !fragment || !fragment.querySelector) return;
    function twin(id) { return fragment.querySelector("#" + CSS.escape(id)); }
    target.querySelectorAll("details[open]").forEach(function (details) {
      var field = details.querySelector("input[id], select[id], textarea[id]");
      var other = field ? twin(field.id) : null;
      var opened = other ? other.closest("details") : null;
      if (opened) opened.open = true;
    });
    target.querySelectorAll("input[id], select[id], textarea[id]").forEach(function (field) {
      var other = changed(field) ? twin(field.id) : null;
      if (!other) return;
      if (other.tagName === "SELECT") {
        if (Array.prototype.some.call(other.options, function (o) { return o.value === field.value; })) other.value = field.value;
      } else {
        other.value = field.value;
      }
    });
    var active = document.activeElement;
    focused = active && active.id && target.contains(active) ? active.id : null;
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var field = focused ? document.getElementById(focused) : null;
    focused = null;
    if (field) field.focus({ preventScroll: true });
  });

  // After a swap, keyboard and screen-reader users land on what the change did, not at the top of the page.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var said = target && target.isConnected ? target.querySelector(".flash") : null;
    if (!said) {
      var id = target && target.id;
      var swapped = id ? document.getElementById(id) : null;
      said = swapped ? swapped.querySelector(".flash") : null;
    }
    if (said && (document.activeElement === document.body || !document.activeElement)) said.focus({ preventScroll: true });
  });
})();
