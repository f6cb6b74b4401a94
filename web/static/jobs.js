// Loaded into River UI's page by Wharf: River UI's own JSON actions (cancel,
// retry, delete, pause) carry the session's CSRF token like every form.
"use strict";
(function () {
  var meta = document.querySelector('meta[name="wharf-csrf"]');
  var token = meta ? meta.getAttribute("content") : "";
  if (!token || !window.fetch) { return; }
  var original = window.fetch;
  window.fetch = function (input, init) {
    init = init || {};
    var method = (init.method || (input && input.method) || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      var headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
      headers.set("X-CSRF-Token", token);
      init = Object.assign({}, init, { headers: headers });
    }
    return original.call(this, input, init);
  };
})();
