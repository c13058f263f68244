// Staff pages: nothing beyond htmx yet; kept as a file so the CSP needs no inline script.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = event.detail.target.querySelector("h1[tabindex]");
    if (heading) {
      heading.focus();
    }
  });
})();
