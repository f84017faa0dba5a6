/* Plan goals page: ask before deleting a goal; show another term as soon as it is chosen. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-goals-confirm]");
    if (form && !window.confirm(form.getAttribute("data-goals-confirm"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-goals-term]");
    if (select && select.form) {
      select.form.submit();
    }
  });
})();
