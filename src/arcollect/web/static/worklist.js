// My worklist: keyboard navigation. j/↓ next, k/↑ previous, c call, p promise, s snooze, o open account, Esc back.
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#worklist .wl-row")); }
  function current() { return document.querySelector("#worklist .wl-row.current"); }
  function select(row) {
    if (!row) { return; }
    rows().forEach(function (r) {
      r.classList.remove("current");
      var a = r.querySelector("a"); if (a) { a.removeAttribute("aria-current"); }
    });
    row.classList.add("current");
    var link = row.querySelector("a.wl-link");
    if (!link) { return; }
    link.setAttribute("aria-current", "true");
    link.focus();
    if (window.htmx) {
      window.htmx.ajax("GET", link.getAttribute("hx-get"), { target: "#panel", swap: "innerHTML" });
      history.replaceState(null, "", link.getAttribute("href"));
    } else {
      window.location = link.getAttribute("href");
    }
  }
  function move(step) {
    // the next account still to work (rows worked out for today have no link)
    var all = rows(), cur = current(), i = cur ? all.indexOf(cur) : -1;
    for (var j = i + step; j >= 0 && j < all.length; j += step) {
      if (all[j].querySelector("a.wl-link")) { select(all[j]); return; }
    }
  }
  // after a call or an action the panel may show the next account: its row becomes the current one
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail || !e.detail.target || e.detail.target.id !== "panel") { return; }
    var title = document.getElementById("panel-title"), id = title ? title.getAttribute("data-customer") : null;
    if (!id) { return; }
    e.detail.target.scrollTop = 0;  // a new account starts at its contact card
    rows().forEach(function (r) {
      var on = r.getAttribute("data-customer") === id, a = r.querySelector("a.wl-link");
      r.classList.toggle("current", on);
      if (a) { if (on) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); } }
    });
  });
  function focus(id) { var el = document.getElementById(id); if (el) { el.focus(); } }
  document.addEventListener("click", function (e) {
    var row = e.target.closest ? e.target.closest("#worklist .wl-row") : null;
    if (row) { rows().forEach(function (r) { r.classList.remove("current"); }); row.classList.add("current"); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") {
      if (e.key === "Escape") {
        e.target.blur();
        var cur = current(), link = cur ? cur.querySelector("a") : null;
        if (link) { link.focus(); }
      }
      return;
    }
    switch (e.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "c": focus("call-outcome"); break;
      case "p": focus("promise-amount"); break;
      case "s": focus("snooze-until"); break;
      case "o": var a = document.getElementById("open-account"); if (a) { window.location = a.getAttribute("href"); } break;
      default: return;
    }
    e.preventDefault();
  });
})();
