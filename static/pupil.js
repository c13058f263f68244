// Pupil pages: quick exit, idle close, focus after each step, Japanese input safety, read-aloud.
(function () {
  "use strict";
  // Idle end (WCAG 2.2.1): three minutes after the pupil last did anything (a key, a touch,
  // typing, moving focus, scrolling) the page closes as quick exit does. Thirty seconds
  // before, a big "still using it?" asks, read aloud where the tablet can speak; answering
  // keeps the page and what was typed. What the pupil does reaches the server too (at most
  // every 10 s), so their cookie and thread, which end 3 minutes after the last request,
  // last as long as the page does.
  var IDLE_MS = 3 * 60 * 1000;
  var WARNING_MS = 30 * 1000;
  var TELL_SERVER_MS = 10 * 1000;
  var idleTimer;
  var warningTimer;
  var tellTimer;
  var lastTold = Date.now();
  var lastActivity = lastTold;
  var leaving = false;
  var warning = document.getElementById("still-here");

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
    leaving = true;
    window.clearTimeout(tellTimer);
    forgetStorage();
    if (window.speechSynthesis) {
      window.speechSynthesis.cancel();
    }
    // replace(): the page leaves history, so Back cannot bring the thread back.
    window.location.replace("/exit");
  }

  function restartIdleClock() {
    window.clearTimeout(idleTimer);
    window.clearTimeout(warningTimer);
    idleTimer = window.setTimeout(leave, IDLE_MS);
    warningTimer = window.setTimeout(showWarning, IDLE_MS - WARNING_MS);
  }

  function tellServer() {
    window.clearTimeout(tellTimer);
    tellTimer = null;
    if (leaving) {
      return;
    }
    lastTold = Date.now();
    if (window.location.pathname.indexOf("/p/") !== 0) {
      return;
    }
    window.fetch(window.location.pathname, {
      method: "POST",
      credentials: "same-origin",
      body: new URLSearchParams({ step: "still_here" })
    }).catch(function () {
      // offline for a moment: the next sign of the pupil tries again
    });
  }

  function tellServerSoon() {
    var waited = Date.now() - lastTold;
    if (waited >= TELL_SERVER_MS) {
      tellServer();
    } else if (!tellTimer) {
      tellTimer = window.setTimeout(function () {
        // A step sent since then told the server already.
        if (lastActivity > lastTold) {
          tellServer();
        }
        tellTimer = null;
      }, TELL_SERVER_MS - waited);
    }
  }

  function showWarning() {
    if (!warning || warning.open) {
      return;
    }
    stopReading();
    warning.showModal();
    if (speech && readAloud && hasVoice()) {
      var words = warning.querySelectorAll("h2, p");
      Array.prototype.forEach.call(words, function (el) {
        var utterance = new window.SpeechSynthesisUtterance(el.textContent.trim());
        utterance.lang = speechLang();
        utterance.rate = 0.9;
        speech.speak(utterance);
      });
    }
  }

  // While the question is open only its answer counts (the dialog moving focus is not the
  // pupil); the answer is its button or Escape, and focus goes back where it was.
  function pupilActivity() {
    if (leaving || (warning && warning.open)) {
      return;
    }
    lastActivity = Date.now();
    restartIdleClock();
    tellServerSoon();
  }

  if (warning) {
    document.getElementById("still-here-yes").addEventListener("click", function () {
      warning.close();
    });
    warning.addEventListener("close", function () {
      if (leaving) {
        return;
      }
      if (speech) {
        speech.cancel();
      }
      restartIdleClock();
      tellServer();
    });
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
    closeSwitches(false);
    var choice = document.createElement("input");
    choice.type = "hidden";
    choice.name = button.name;
    choice.value = button.value;
    here.appendChild(choice);
    here.submit();
  });

  // The language menu lies over the top of the step (WCAG 2.4.11): it closes on Escape, when
  // focus leaves it, on a touch outside it and once a language is chosen, so it never hides
  // the control that has focus.
  var switches = document.querySelector("details.pupil-switches");

  function closeSwitches(focusButton) {
    if (!switches || !switches.open) {
      return;
    }
    switches.open = false;
    if (focusButton) {
      switches.querySelector("summary").focus();
    }
  }

  if (switches) {
    switches.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.shiftKey && switches.open) {
        event.preventDefault();
        closeSwitches(true);
      }
    });
    switches.addEventListener("focusout", function (event) {
      // No next element: the tablet switched apps, or a touch landed on plain text.
      if (event.relatedTarget && !switches.contains(event.relatedTarget)) {
        closeSwitches(false);
      }
    });
    document.addEventListener("pointerdown", function (event) {
      if (!switches.contains(event.target)) {
        closeSwitches(false);
      }
    });
  }

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
        var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        event.target.scrollIntoView({ block: "center", behavior: still ? "auto" : "smooth" });
      }, 300);
    }
  });

  ["keydown", "pointerdown", "input", "focusin"].forEach(function (name) {
    document.addEventListener(name, pupilActivity, { passive: true });
  });
  // Scrolling the page or any box in it (scroll events do not bubble; capture sees them all).
  window.addEventListener("scroll", pupilActivity, { capture: true, passive: true });
  document.addEventListener("htmx:beforeRequest", function () {
    lastTold = Date.now();
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

  // The words a pupil sees in the step, a block at a time, each with the voice of its
  // language (a message in the thread may be in another): furigana, hidden text, what they
  // are typing and their secret words are left out (a classroom can hear the tablet).
  function blocksToRead() {
    var step = document.getElementById("step");
    var skip = "rt, script, [hidden], [aria-hidden=true], .visually-hidden, textarea, .return-code";
    var blocks = [];
    step.querySelectorAll("h1, h2, p, li, dt, dd, label, legend, button").forEach(function (el) {
      if (el.closest(skip) || el.matches("li.message")
          || el.parentElement.closest("p, li:not(.message), dt, dd, label, button")) {
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
      var voiced = el.closest("[data-speech-lang]");
      if (text) {
        blocks.push({ text: text, lang: voiced ? voiced.getAttribute("data-speech-lang") : speechLang() });
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
    blocks.forEach(function (block, index) {
      var utterance = new window.SpeechSynthesisUtterance(block.text);
      utterance.lang = block.lang;
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
