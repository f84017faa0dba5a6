/* 书香 Shuxiang — the class corner's scanning session. Each Enter in form[data-scan-form]
   sends one barcode with htmx; the answer is one line for #scan-results (newest first) and
   the corner's refreshed book list (an out-of-band swap). The box is emptied the moment a
   scan is read, because the scanner may type the next barcode before the answer comes; the
   scans are sent one after another, in the order they were made, so none is dropped and the
   book list always ends with the last answer. Without JavaScript the form posts as usual. */
(function () {
  "use strict";

  var queue = Promise.resolve();

  function results() {
    return document.getElementById("scan-results");
  }

  function count() {
    var list = results();
    var done = list.querySelectorAll("[data-scan-done]").length;
    var refused = list.querySelectorAll('[data-scan-outcome="refused"]').length;
    Array.prototype.forEach.call(document.querySelectorAll("[data-scan-count]"), function (el) {
      el.textContent = String(el.getAttribute("data-scan-count") === "done" ? done : refused);
    });
  }

  function failed(form, barcode) {
    var line = document.createElement("li");
    line.className = "list-group-item list-group-item-danger fs-5";
    line.setAttribute("data-scan-outcome", "refused");
    line.textContent = "✗ " + barcode + " " + form.getAttribute("data-scan-error");
    results().insertBefore(line, results().firstChild);
  }

  function send(form, barcode) {
    return new Promise(function (resolve) {
      function after(event) {
        if (event.detail.elt !== form) {
          return;
        }
        document.removeEventListener("htmx:afterRequest", after);
        if (!event.detail.successful) {
          failed(form, barcode);
        }
        count();
        resolve();
      }
      document.addEventListener("htmx:afterRequest", after);
      htmx
        .ajax("POST", form.getAttribute("action"), {
          source: form,
          target: "#scan-results",
          swap: "afterbegin",
          values: { barcode: barcode },
        })
        .catch(function () {});
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-scan-form") || !window.htmx) {
      return;
    }
    event.preventDefault();
    var input = form.querySelector("input[name=barcode]");
    var barcode = input.value.trim();
    input.value = "";
    input.focus();
    if (barcode) {
      queue = queue.then(function () {
        return send(form, barcode);
      });
    }
  });
})();
