// thidua-sync dashboard: small enhancements; every feature works without this file.
// Loaded as a file (CSP script-src 'self'); no build step, no libraries.
"use strict";

(function () {
  function folded(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.addEventListener("DOMContentLoaded", function () {
    // Filters and the form picker apply as soon as a choice changes.
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // The search box narrows the table while typing (the server does it on submit).
    document.querySelectorAll("input[data-live-filter]").forEach(function (input) {
      var rows = document.querySelectorAll(input.getAttribute("data-live-filter"));
      input.addEventListener("input", function () {
        var needle = folded(input.value.trim());
        rows.forEach(function (row) {
          row.hidden = needle !== "" && folded(row.textContent).indexOf(needle) < 0;
        });
      });
    });
    // Copy buttons: <button data-copy="#input" data-copied="Đã chép">
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) return;
      var label = button.textContent;
      button.addEventListener("click", function () {
        function done() {
          button.textContent = button.getAttribute("data-copied") || label;
          setTimeout(function () { button.textContent = label; }, 2000);
        }
        source.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(source.value).then(done, function () {
            document.execCommand("copy"); done();
          });
        } else {
          document.execCommand("copy"); done();
        }
      });
    });
  });
})();
