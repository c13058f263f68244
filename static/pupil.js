// Pupil pages: quick exit, idle close, focus after each step, Japanese input safety.
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

  // After a step is swapped in, move focus to its heading for screen readers and keyboards.
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = event.detail.target.querySelector("h1");
    if (heading) {
      heading.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  });
})();
