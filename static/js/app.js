/* The page behaviour that used to be inline attributes, which the Content-Security-Policy forbids. */
(function () {
  "use strict";
  function ready() {
    // Progress bars: data-width="42" is 42 % (set through the DOM, which the policy allows).
    document.querySelectorAll("[data-width]").forEach(function (bar) {
      var percent = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-width")) || 0));
      bar.style.width = percent + "%";
    });
    // A select that submits its form when changed (the dashboard's period).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // The print view's button.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
