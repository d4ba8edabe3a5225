/* amzauth console: small progressive touches. Every page works without this file. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Copy to clipboard ("copy for a support ticket"): shown only where the Clipboard API exists.
  function setupCopy() {
    var buttons = document.querySelectorAll("button[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (btn) {
      if (!navigator.clipboard || !window.isSecureContext) return;
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.getAttribute("data-copy-target"));
        var status = document.getElementById("copy-status");
        if (!target) return;
        navigator.clipboard.writeText(target.textContent).then(function () {
          if (status) status.textContent = "Copied the redacted report to the clipboard.";
          btn.setAttribute("data-state", "copied");
        }, function () {
          if (status) status.textContent = "Copy failed: select the text below and copy it by hand.";
        });
      });
    });
  }

  // Profile editor: show only the fields of the chosen API.
  function setupEditor() {
    var form = document.getElementById("profile-form");
    var api = document.getElementById("f-api");
    if (!form || !api) return;
    function sync() {
      var groups = form.querySelectorAll("fieldset[data-group]");
      Array.prototype.forEach.call(groups, function (g) {
        var id = g.getAttribute("data-group");
        if (id === "creators" || id === "spapi") {
          g.hidden = id !== api.value;
        }
      });
    }
    api.addEventListener("change", sync);
    sync();
  }

  // Confirm destructive forms; label busy buttons while a slow request runs.
  function setupForms() {
    document.addEventListener("submit", function (ev) {
      var form = ev.target;
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        ev.preventDefault();
        return;
      }
      var btn = form.querySelector("button[data-busy]");
      if (btn) {
        btn.setAttribute("aria-busy", "true");
        btn.textContent = btn.getAttribute("data-busy");
      }
    });
  }

  // Product images come from Amazon's CDN; show a placeholder when one cannot load.
  function setupImages() {
    document.addEventListener("error", function (ev) {
      var img = ev.target;
      if (!img || img.tagName !== "IMG" || img.getAttribute("data-failed")) return;
      img.setAttribute("data-failed", "1");
      var span = document.createElement("span");
      span.className = "noimg";
      span.textContent = "image unavailable";
      img.replaceWith(span);
    }, true);
  }

  ready(function () {
    setupCopy();
    setupEditor();
    setupForms();
    setupImages();
    var result = document.getElementById("result");
    if (result && window.location.hash === "#result") result.focus();
  });
})();
