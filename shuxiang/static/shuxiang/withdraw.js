/* 书香 Shuxiang — the withdrawal scanning session (注销). Each Enter in form[data-withdraw-form]
   sends one barcode, with the reason and note chosen once, through htmx; the answer is one
   line at the top of #scan-results. The box is emptied the moment a scan is read, because the
   scanner may type the next barcode before the answer comes; scans are sent one after another
   in the order they were made, so none is dropped. A line's "undo" replaces that line, and the
   focus goes back to the box for the next book. Without JavaScript the forms post as usual. */
(function () {
  "use strict";

  var queue = Promise.resolve();

  function results() {
    return document.getElementById("scan-results");
  }

  function box() {
    return document.getElementById("scan-barcode");
  }

  function count() {
    var list = results();
    if (!list) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-scan-count]"), function (el) {
      var outcome = el.getAttribute("data-scan-count");
      el.textContent = String(list.querySelectorAll('[data-scan-outcome="' + outcome + '"]').length);
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
    if (!form.hasAttribute || !form.hasAttribute("data-withdraw-form") || !window.htmx) {
      return;
    }
    event.preventDefault();
    var input = box();
    var barcode = input.value.trim();
    input.value = "";
    input.focus();
    if (barcode) {
      queue = queue.then(function () {
        return send(form, barcode);
      });
    }
  });

  // After an undo the line is replaced: count again and give the box the focus back.
  document.addEventListener("htmx:afterSettle", function () {
    count();
    if (box() && document.activeElement === document.body) {
      box().focus();
    }
  });
})();
