// Candlefish serve: the board follows the server's rounds without a reload.
// When a round finishes the server sends an event on /api/v1/events; the page
// fetches itself again, swaps its body for the new one and runs the board's
// own script on it again (the filter in the URL carries over). Nothing is
// fetched from anywhere but this server.
(function () {
  "use strict";
  var root = document.documentElement;
  var swaps = 0;
  var busy = false;
  var again = false;

  function swap(html) {
    var next = new DOMParser().parseFromString(html, "text/html");
    document.title = next.title;
    document.body.replaceWith(document.adoptNode(next.body));
    // Scripts parsed by DOMParser do not run: run the board's own again.
    Array.prototype.forEach.call(document.body.querySelectorAll("script"), function (old) {
      var fresh = document.createElement("script");
      fresh.textContent = old.textContent;
      old.replaceWith(fresh);
    });
    swaps += 1;
    root.setAttribute("data-swaps", String(swaps));
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.pathname + location.search, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(swap)
      .catch(function () { root.setAttribute("data-live", "stale"); })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  if (!window.EventSource || !window.fetch || !window.DOMParser) { return; }
  root.setAttribute("data-live", "connecting");
  var source = new EventSource("/api/v1/events");
  source.addEventListener("open", function () { root.setAttribute("data-live", "open"); });
  source.addEventListener("error", function () { root.setAttribute("data-live", "reconnecting"); });
  source.addEventListener("run", refresh);
})();
