// Wharf UI: copy buttons and confirmations. No framework, no other origin.
"use strict";
(function () {
  function copyText(text, button) {
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.classList.add("copied");
      setTimeout(function () {
        button.textContent = label;
        button.classList.remove("copied");
      }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectFallback(button); });
    } else {
      selectFallback(button);
    }
  }

  // Without the clipboard API (plain-HTTP registries), select the text so
  // Ctrl+C copies it.
  function selectFallback(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    var range = document.createRange();
    range.selectNodeContents(target);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (target) { copyText(target.textContent, button); }
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { ev.preventDefault(); }
  });
})();
