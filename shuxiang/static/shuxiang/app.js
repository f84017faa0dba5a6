/* 书香 Shuxiang — the little behaviour the pages need. Vanilla JS, no inline scripts:
   everything hangs off data-* attributes so the pages can run under a strict CSP. */
(function () {
  "use strict";

  function focusables(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll("input, select, textarea, button"),
      function (el) {
        return !el.disabled && el.type !== "hidden" && el.offsetParent !== null;
      }
    );
  }

  /* [data-print]: a button that prints the page (the print stylesheet hides the rest). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  /* [data-select-on-focus]: a field a scanner types into is selected, so the next scan
     replaces the last one. */
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });

  /* form[data-enter-moves]: in a long form, Enter (or a scanner's Enter) moves to the next
     field instead of saving half a record; Ctrl+Enter saves. */
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    var form = field.form;
    if (event.key !== "Enter" || !form || !form.hasAttribute("data-enter-moves")) {
      return;
    }
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      var submit = form.querySelector("[data-default-submit]") || form.querySelector("[type=submit]");
      if (submit) {
        submit.click();
      }
      return;
    }
    if (field.tagName !== "INPUT" || field.type === "submit" || field.type === "checkbox") {
      return;
    }
    if (field.hasAttribute("data-clc-input") && clcOpenList(field)) {
      return;
    }
    event.preventDefault();
    var fields = focusables(form);
    var next = fields[fields.indexOf(field) + 1];
    if (next) {
      next.focus();
    }
  });

  /* Formsets: [data-formset-add=PREFIX] clones <template id="PREFIX-empty-form"> into
     [data-formset-rows=PREFIX] and bumps the management form's TOTAL_FORMS. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var prefix = button.getAttribute("data-formset-add");
    var template = document.getElementById(prefix + "-empty-form");
    var rows = document.querySelector('[data-formset-rows="' + prefix + '"]');
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !rows || !total) {
      return;
    }
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("input, select");
    if (first) {
      first.focus();
    }
  });

  /* The CLC picker. The class number input asks the server for matching classes as one
     types (htmx, hx-get); the answer lists buttons carrying data-clc-code. Choosing one
     fills the field. */
  function clcList(input) {
    var box = input.closest("[data-clc]");
    return box ? box.querySelector("[data-clc-list]") : null;
  }

  function clcOpenList(input) {
    var list = clcList(input);
    return list && !list.hidden && list.querySelector("[data-clc-code]") ? list : null;
  }

  function clcClose(box) {
    var list = box.querySelector("[data-clc-list]");
    if (list) {
      list.hidden = true;
    }
  }

  function clcChoose(option) {
    var box = option.closest("[data-clc]");
    var input = box.querySelector("[data-clc-input]");
    input.value = option.getAttribute("data-clc-code");
    var name = box.querySelector("[data-clc-chosen]");
    if (name) {
      name.textContent = option.getAttribute("data-clc-name") || "";
    }
    clcClose(box);
    input.focus();
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  /* [data-clc-check=URL]: once a class number is entered, say what it is (its name and
     place in the table) or why it is wrong, before the form is saved. */
  function clcCheck(input) {
    var url = input.getAttribute("data-clc-check");
    var box = input.closest("[data-clc]");
    var out = box && box.querySelector("[data-clc-chosen]");
    if (!url || !out) {
      return;
    }
    var value = input.value.trim();
    out.className = "sx-clc-name";
    out.textContent = "";
    if (!value) {
      return;
    }
    fetch(url + "?code=" + encodeURIComponent(value), { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (result) {
        if (!result || input.value.trim() !== value) {
          return;
        }
        var names = (result.breadcrumb || []).map(function (c) {
          return c.name;
        });
        if (!result.valid) {
          out.className = "sx-clc-name text-danger";
          out.textContent = result.message + (result.suggestion ? "（" + result.suggestion + "？）" : "");
        } else if (result.warning) {
          out.className = "sx-clc-name text-warning-emphasis";
          out.textContent = result.warning;
        } else {
          out.textContent = names.join(" › ");
        }
      })
      .catch(function () {});
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-clc-check]")) {
      clcCheck(event.target);
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-clc-check]"), function (input) {
    if (input.value.trim()) {
      clcCheck(input);
    }
  });

  // htmx would send the field under its own name (class_number); the picker wants ?q=.
  document.addEventListener("htmx:configRequest", function (event) {
    var input = event.detail.elt;
    if (input && input.hasAttribute && input.hasAttribute("data-clc-input")) {
      event.detail.parameters = { q: input.value };
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    if (list && list.hasAttribute && list.hasAttribute("data-clc-list")) {
      // Shown whenever there is something to say, "no class matches" included.
      list.hidden = !list.textContent.trim();
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-clc] [data-clc-code]");
    if (option) {
      event.preventDefault();
      clcChoose(option);
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-clc]"), function (box) {
      if (!box.contains(event.target)) {
        clcClose(box);
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    var box = event.target.closest && event.target.closest("[data-clc]");
    if (!box) {
      return;
    }
    var input = box.querySelector("[data-clc-input]");
    var list = clcOpenList(input);
    if (!list) {
      return;
    }
    var options = Array.prototype.slice.call(list.querySelectorAll("[data-clc-code]"));
    var at = options.indexOf(event.target);
    if (event.key === "Escape") {
      event.preventDefault();
      clcClose(box);
      input.focus();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      (options[at + 1] || options[0]).focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (at <= 0) {
        input.focus();
      } else {
        options[at - 1].focus();
      }
    } else if (event.key === "Enter" && !(event.ctrlKey || event.metaKey)) {
      // Enter in the field takes the first (best) match; on an option, that option.
      event.preventDefault();
      clcChoose(options[Math.max(at, 0)]);
    }
  });
})();

/* After a refused save, put the cursor on the first field that needs fixing. */
(function () {
  "use strict";
  var invalid = document.querySelector("input.is-invalid, select.is-invalid, textarea.is-invalid");
  if (invalid) {
    invalid.focus();
  }
})();
