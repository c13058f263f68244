// Staff pages: focus after an htmx swap, and the inbox that refreshes itself in place.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = event.detail.target.querySelector("h1[tabindex]");
    if (heading) {
      heading.focus();
    }
  });

  // The inbox asks for its rows every 10 s (htmx). Replacing the list would drop the focus of
  // someone on a report link to the page body and rebuild the unread count's live region, so
  // it is never heard (WCAG 2.2.2, 2.4.3). Instead the new rows are laid into the old ones:
  // what did not change stays as it is, focus and scroll stay, a report new since the page
  // opened is said once, and staff can pause the refresh.
  var inbox = document.getElementById("inbox");
  if (!inbox) {
    return;
  }
  var news = document.getElementById("inbox-news");
  var pause = document.getElementById("inbox-pause");
  var paused = false;
  var newest = 0;
  var seen = {};
  rowsOf(inbox).forEach(function (row) {
    note(row.getAttribute("data-report"));
  });

  function rowsOf(container) {
    return Array.prototype.slice.call(container.querySelectorAll("tr[data-report]"));
  }

  function note(id) {
    seen[id] = true;
    newest = Math.max(newest, Number(id));
  }

  // The same place on the page in the old list and the new one: a row by its report, any other
  // part by its tag, class and how many like it came before.
  function keysOf(parent) {
    var count = {};
    return Array.prototype.map.call(parent.children, function (element) {
      var key = element.getAttribute("data-report") || element.tagName + "." + element.className;
      count[key] = (count[key] || 0) + 1;
      return key + "/" + count[key];
    });
  }

  function layChildren(old, fresh) {
    var byKey = {};
    var oldKeys = keysOf(old);
    Array.prototype.forEach.call(old.children, function (child, index) {
      byKey[oldKeys[index]] = child;
    });
    var wanted = Array.prototype.slice.call(fresh.children);
    var wantedKeys = keysOf(fresh);
    wanted.forEach(function (next, index) {
      var kept = byKey[wantedKeys[index]];
      delete byKey[wantedKeys[index]];
      if (!kept) {
        kept = next;
      } else if (!kept.isEqualNode(next)) {
        kept = lay(kept, next);
      }
      if (old.children[index] !== kept) {
        old.insertBefore(kept, old.children[index] || null);
      }
    });
    Object.keys(byKey).forEach(function (key) {
      byKey[key].remove();
    });
  }

  // Bring `old` up to `next`, keeping `old` itself where it can be kept; returns what stands.
  function lay(old, next) {
    if (old.hasAttribute("aria-live")) {
      old.textContent = next.textContent;  // heard because only its words change
      return old;
    }
    if (/^(TABLE|THEAD|TBODY|TR)$/.test(old.tagName)) {
      Array.prototype.slice.call(next.attributes).forEach(function (attribute) {
        old.setAttribute(attribute.name, attribute.value);
      });
      layChildren(old, next);
      return old;
    }
    old.replaceWith(next);
    return next;
  }

  function refresh(html) {
    var focused = inbox.contains(document.activeElement) ? document.activeElement : null;
    var focusKey = focused && focused.getAttribute("href");
    var fresh = document.createElement("div");
    fresh.innerHTML = html;
    var arrived = rowsOf(fresh).map(function (row) {
      return row.getAttribute("data-report");
    }).filter(function (id) {
      return !seen[id] && Number(id) > newest;
    });
    layChildren(inbox, fresh);
    rowsOf(inbox).forEach(function (row) {
      note(row.getAttribute("data-report"));
    });
    if (focused && !inbox.contains(focused) && focusKey) {
      var again = inbox.querySelector('[href="' + focusKey.replace(/"/g, "") + '"]');
      if (again) {
        again.focus({ preventScroll: true });
      }
    }
    if (arrived.length && news) {
      news.textContent = news.getAttribute("data-new-report") + ": " +
        arrived.map(function (id) { return "#" + id; }).join(", ");
    }
  }

  inbox.addEventListener("htmx:beforeRequest", function (event) {
    if (paused && event.detail.elt === inbox) {
      event.preventDefault();
    }
  });
  inbox.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target !== inbox || event.detail.xhr.status !== 200) {
      return;
    }
    event.detail.shouldSwap = false;
    refresh(event.detail.serverResponse);
  });
  if (pause) {
    pause.hidden = false;
    pause.addEventListener("click", function () {
      paused = !paused;
      pause.setAttribute("aria-pressed", paused ? "true" : "false");
    });
  }
})();
