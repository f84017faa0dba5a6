/* 书香 Shuxiang — sizes job progress bars from data-job-percent (no inline styles, so the
   pages can run under a strict CSP). Runs at load and whenever htmx swaps new content in. */
(function () {
  "use strict";

  function size(root) {
    var bars = root.querySelectorAll ? root.querySelectorAll("[data-job-percent]") : [];
    Array.prototype.forEach.call(bars, function (bar) {
      var percent = parseInt(bar.getAttribute("data-job-percent"), 10) || 0;
      bar.style.width = Math.max(0, Math.min(100, percent)) + "%";
    });
  }

  size(document);
  document.addEventListener("htmx:load", function (event) {
    size(event.target.parentNode || document);
  });
})();
