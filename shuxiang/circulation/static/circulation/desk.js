/* 书香 Shuxiang — the circulation desk. The scanner types a barcode and presses Enter; each
   scan is posted with htmx and the answer (banner, reader, last scans) swapped in. Scans go out
   one at a time, in order: a fast scanner may type the next barcode before the last answer is
   back, and a checkout must never overtake the card scanned before it. Without JavaScript the
   same forms post as plain forms. */
(function () {
  "use strict";

  var desk = document.querySelector("[data-desk]");
  if (!desk || !window.htmx) {
    return;
  }
  var input = desk.querySelector("[data-desk-scan]");
  var result = document.getElementById("desk-result");
  var queue = [];
  var busy = false;
  var SOUND_KEY = "shuxiang.desk.sound";

  function refocus() {
    input.focus();
  }

  function formValues(form) {
    var values = {};
    new FormData(form).forEach(function (value, name) {
      values[name] = value;
    });
    return values;
  }

  function token() {
    var field = desk.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? { csrfmiddlewaretoken: field.value } : {};
  }

  /* ------------------------------------------------------------------ the queue */

  function send(url, values) {
    queue.push({ url: url, values: values });
    pump();
  }

  function pump() {
    if (busy || !queue.length) {
      return;
    }
    var next = queue.shift();
    busy = true;
    desk.classList.add("sx-desk-busy");
    // The source sits outside every form: htmx sends these values and nothing else.
    window.htmx
      .ajax("POST", next.url, { source: result, target: result, swap: "innerHTML", values: next.values })
      .then(finished, function () {
        showError(desk.getAttribute("data-desk-error-network"));
        finished();
      });
  }

  function finished() {
    busy = false;
    desk.classList.remove("sx-desk-busy");
    refocus();
    pump();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === result) {
      syncSound();
      var banner = result.querySelector("[data-desk-tone]");
      beep(banner ? banner.getAttribute("data-desk-tone") : "");
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.target === result) {
      showError(desk.getAttribute("data-desk-error-server"));
    }
  });

  /* An answer that is not the desk's (a server error, the network gone): say so in red, loud,
     so that the assistant does not take the book for lent. */
  function showError(message) {
    var banner = result.querySelector(".sx-feedback");
    if (!banner) {
      return;
    }
    banner.className = "sx-feedback sx-feedback-refuse";
    banner.setAttribute("role", "alert");
    banner.setAttribute("data-desk-tone", "refuse");
    banner.textContent = "";
    var text = document.createElement("p");
    text.className = "sx-feedback-text";
    text.textContent = message;
    banner.appendChild(text);
    beep("refuse");
  }

  /* ------------------------------------------------------------------ forms and keys */

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-desk-form")) {
      return;
    }
    event.preventDefault();
    var values = formValues(form);
    if (form.contains(input)) {
      // Clear at once: the scanner may already be typing the next barcode.
      input.value = "";
      if (!String(values.code || "").trim()) {
        return;
      }
    }
    send(form.getAttribute("action"), values);
    refocus();
  });

  function shortcut(name) {
    send(desk.getAttribute("data-desk-" + name + "-url"), token());
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.closest && target.closest(".sx-desk-station")) {
      return; // typing this desk's name
    }
    var key = event.key;
    if (key === "Escape") {
      event.preventDefault();
      input.value = "";
      shortcut("close");
      refocus();
    } else if ((event.ctrlKey || event.metaKey) && (key === "z" || key === "Z")) {
      event.preventDefault();
      shortcut("undo");
    } else if (key === "F2") {
      event.preventDefault();
      shortcut("renew-all");
    } else if ((key === "r" || key === "R") && !event.ctrlKey && !event.altKey && !event.metaKey) {
      // R renews the book whose row has the focus (reached with Tab); in the scan box R is
      // just a letter of a barcode.
      var row = target !== input && target.closest && target.closest("[data-desk-loan]");
      var button = row && row.querySelector("[data-desk-renew]");
      if (button) {
        event.preventDefault();
        button.click();
      }
    }
  });

  // Clicking anywhere that is not a control puts the cursor back in the scan box.
  input.addEventListener("focusout", function (event) {
    if (!event.relatedTarget) {
      window.setTimeout(function () {
        if (!document.activeElement || document.activeElement === document.body) {
          refocus();
        }
      }, 0);
    }
  });

  /* ------------------------------------------------------------------ sound */

  var audio = null;
  // [frequency Hz, start s, length s, wave]: one bright beep, two middle ones, a low buzz.
  var TONES = {
    ok: [[1046, 0, 0.12, "sine"]],
    warn: [
      [660, 0, 0.12, "triangle"],
      [660, 0.18, 0.12, "triangle"],
    ],
    refuse: [
      [220, 0, 0.22, "square"],
      [165, 0.26, 0.34, "square"],
    ],
  };

  function soundOn() {
    try {
      return window.localStorage.getItem(SOUND_KEY) !== "off";
    } catch (e) {
      return true;
    }
  }

  function beep(tone) {
    var notes = TONES[tone];
    if (!notes || !soundOn()) {
      return;
    }
    desk.setAttribute("data-desk-last-beep", tone);
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") {
        audio.resume();
      }
      var start = audio.currentTime + 0.01;
      notes.forEach(function (note) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        var at = start + note[1];
        osc.type = note[3];
        osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + note[2]);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(at);
        osc.stop(at + note[2] + 0.02);
      });
    } catch (e) {
      // No sound card: the colours still say it all.
    }
  }

  function syncSound() {
    var on = soundOn();
    Array.prototype.forEach.call(document.querySelectorAll("[data-desk-sound]"), function (button) {
      button.hidden = false;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.querySelector("[data-desk-sound-on]").hidden = !on;
      button.querySelector("[data-desk-sound-off]").hidden = on;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-desk-sound]");
    if (!button) {
      return;
    }
    try {
      window.localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
    } catch (e) {
      return;
    }
    syncSound();
    beep("ok");
    refocus();
  });

  syncSound();
  refocus();
})();
