// Candlefish HTML report: filters that follow the URL. Without JavaScript the
// radio buttons filter through CSS alone; this adds the URL (#status=red,
// ?status=red, q=text), a text filter, `hidden` attributes and a count.
(function () {
  "use strict";
  var STATUSES = ["all", "green", "yellow", "red", "white"];
  var body = document.body;
  var radios = Array.prototype.slice.call(document.querySelectorAll("input.f"));
  var search = document.getElementById("q");
  var shown = document.getElementById("shown");
  var items = Array.prototype.slice.call(document.querySelectorAll("main .item"));
  var leaves = Array.prototype.slice.call(document.querySelectorAll("#board .item.leaf"));

  function fromUrl() {
    var params = location.hash.replace(/^#/, "") + "&" + location.search.replace(/^\?/, "");
    var out = { status: "all", q: "" };
    params.split("&").forEach(function (pair) {
      var kv = pair.split("=");
      var key = decodeURIComponent(kv[0] || "");
      var value = decodeURIComponent((kv[1] || "").replace(/\+/g, " "));
      if (key === "status" && STATUSES.indexOf(value) >= 0) { out.status = value; }
      if (key === "q") { out.q = value; }
    });
    return out;
  }

  function ownText(item) {
    var row = item.querySelector(":scope > .row");
    var reason = item.querySelector(":scope > .reason");
    return ((row ? row.textContent : "") + " " + (reason ? reason.textContent : "")).toLowerCase();
  }

  function apply(status, q) {
    body.setAttribute("data-filter", status);
    radios.forEach(function (r) { r.checked = r.value === status; });
    var needle = q.trim().toLowerCase();
    // Children before parents: a parent stays visible when a child matches.
    var visible = new Map();
    items.slice().reverse().forEach(function (item) {
      var statusOk = status === "all" || item.classList.contains("has-" + status);
      var selfOk = !needle || ownText(item).indexOf(needle) >= 0;
      var childOk = Array.prototype.some.call(
        item.querySelectorAll(":scope > ul.children > li.item"),
        function (child) { return visible.get(child); });
      var show = statusOk && (selfOk || childOk);
      visible.set(item, show);
      if (show) { item.removeAttribute("hidden"); } else { item.setAttribute("hidden", ""); }
    });
    var count = leaves.filter(function (l) { return visible.get(l); }).length;
    shown.textContent = count + " of " + leaves.length + " items shown";
  }

  function update() {
    var checked = radios.filter(function (r) { return r.checked; })[0];
    var status = checked ? checked.value : "all";
    var q = search.value;
    var hash = "status=" + status + (q ? "&q=" + encodeURIComponent(q) : "");
    if (history.replaceState) { history.replaceState(null, "", "#" + hash); }
    apply(status, q);
  }

  document.documentElement.classList.add("js");
  search.hidden = false;
  var wanted = fromUrl();
  search.value = wanted.q;
  apply(wanted.status, wanted.q);
  radios.forEach(function (r) { r.addEventListener("change", update); });
  search.addEventListener("input", update);
  // One listener per window, even when a live page runs this script again on a new body.
  if (window.candlefishHashchange) {
    window.removeEventListener("hashchange", window.candlefishHashchange);
  }
  window.candlefishHashchange = function () {
    if (location.hash.indexOf("=") < 0) { return; } // a link to an item, not a filter
    var w = fromUrl();
    search.value = w.q;
    apply(w.status, w.q);
  };
  window.addEventListener("hashchange", window.candlefishHashchange);
})();
