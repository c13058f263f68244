// Pupil pages: quick exit, idle close, focus after each step, Japanese input safety, read-aloud.
(function () {
  "use strict";
  var IDLE_MS = 3 * 60 * 1000;
  var idleTimer;

  // htmx notes the current path in sessionStorage even with history off; keep the tab clean.
  function forgetStorage() {
    try {
      window.sessionStorage.clear();
      window.localStorage.clear();
    } catch (ignored) {
      // storage may be disabled, which is just as good
    }
  }
  forgetStorage();
  document.addEventListener("htmx:afterSettle", forgetStorage);

  function leave() {
    forgetStorage();
    if (window.speechSynthesis) {
      window.speechSynthesis.cancel();
    }
    // replace(): the page leaves history, so Back cannot bring the thread back.
    window.location.replace("/exit");
  }

  function restartIdleClock() {
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(leave, IDLE_MS);
  }

  document.addEventListener("click", function (event) {
    var exit = event.target.closest("#quick-exit");
    if (exit) {
      event.preventDefault();
      leave();
    }
  });

  // A language or reading button sends the step's own form (`#here`) with what the pupil
  // typed, as a whole page: the header and the page's language change too, which a swap of
  // the step alone (htmx) would leave behind. Without JavaScript the button does the same.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".switch button[form=here]");
    var here = document.getElementById("here");
    if (!button || !here) {
      return;
    }
    event.preventDefault();
    var choice = document.createElement("input");
    choice.type = "hidden";
    choice.name = button.name;
    choice.value = button.value;
    here.appendChild(choice);
    here.submit();
  });

  // The Enter that confirms a kana-kanji conversion must never send a form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.shiftKey) {
      leave();
    }
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) {
      event.preventDefault();
    }
  }, true);

  // Keep the text area above an iPad's on-screen keyboard.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("textarea, input[type=text]")) {
      window.setTimeout(function () {
        event.target.scrollIntoView({ block: "center", behavior: "smooth" });
      }, 300);
    }
  });

  ["keydown", "pointerdown", "input"].forEach(function (name) {
    document.addEventListener(name, restartIdleClock, { passive: true });
  });
  restartIdleClock();

  // Read-aloud: the tablet's own speech engine reads the step in the page's language. Nothing
  // leaves the tablet; where the browser cannot speak (or has no voice for the language) the
  // button stays hidden.
  var readAloud = document.getElementById("read-aloud");
  var speech = window.speechSynthesis && window.SpeechSynthesisUtterance
    ? window.speechSynthesis : null;

  function speechLang() {
    return readAloud.getAttribute("data-speech-lang");
  }

  function hasVoice() {
    var voices = speech.getVoices();
    var language = speechLang().split("-")[0].toLowerCase();
    // No list yet (voices load late, or the engine picks by language alone): offer it.
    return voices.length === 0 || voices.some(function (voice) {
      return voice.lang.replace("_", "-").split("-")[0].toLowerCase() === language;
    });
  }

  function showReadAloud() {
    readAloud.hidden = !hasVoice();
  }

  // The words a pupil sees in the step, a block at a time: furigana, hidden text, what they
  // are typing and their secret words are left out (a classroom can hear the tablet).
  function blocksToRead() {
    var step = document.getElementById("step");
    var skip = "rt, script, [hidden], [aria-hidden=true], .visually-hidden, textarea, .return-code";
    var blocks = [];
    step.querySelectorAll("h1, h2, p, li, dt, dd, label, legend, button").forEach(function (el) {
      if (el.closest(skip) || el.parentElement.closest("p, li, dt, dd, label, button")) {
        return;
      }
      var text = "";
      var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        if (!walker.currentNode.parentElement.closest(skip)) {
          text += walker.currentNode.nodeValue;
        }
      }
      text = text.replace(/\s+/g, " ").trim();
      if (text) {
        blocks.push(text);
      }
    });
    return blocks;
  }

  function stopReading() {
    if (speech) {
      speech.cancel();
    }
    if (readAloud) {
      readAloud.setAttribute("aria-pressed", "false");
    }
  }

  function startReading() {
    var blocks = blocksToRead();
    readAloud.setAttribute("aria-pressed", "true");
    blocks.forEach(function (text, index) {
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.lang = speechLang();
      utterance.rate = 0.9;
      if (index === blocks.length - 1) {
        utterance.onend = stopReading;
      }
      speech.speak(utterance);
    });
  }

  if (readAloud && speech) {
    showReadAloud();
    speech.addEventListener("voiceschanged", showReadAloud);
    readAloud.addEventListener("click", function () {
      if (readAloud.getAttribute("aria-pressed") === "true") {
        stopReading();
      } else {
        speech.cancel();
        startReading();
      }
    });
  }

  // After a step is swapped in, move focus to its heading for screen readers and keyboards.
  document.addEventListener("htmx:afterSwap", function (event) {
    stopReading();
    var heading = event.detail.target.querySelector("h1");
    if (heading) {
      heading.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  });
})();
