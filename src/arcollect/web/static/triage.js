// Triage: keyboard over the proposed actions. j/↓ next, k/↑ previous, a approve, r reject, e edit, Esc leave a field.
(function () {
  "use strict";
  function items() { return Array.prototype.slice.call(document.querySelectorAll(".proposal")); }
  function current() { return document.querySelector(".proposal.current"); }
  function select(item) {
    if (!item) { return; }
    items().forEach(function (p) { p.classList.remove("current"); p.removeAttribute("aria-current"); });
    item.classList.add("current");
    item.setAttribute("aria-current", "true");
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    var all = items(), cur = current(), i = cur ? all.indexOf(cur) : -1;
    var next = all[Math.min(Math.max(i + step, 0), all.length - 1)];
    select(next);
  }
  function press(key) {
    var cur = current();
    if (!cur) { return; }
    var target = cur.querySelector('[data-key="' + key + '"]');
    if (!target) { return; }
    if (key === "e") {
      var details = target.closest("details");
      details.open = true;
      var field = details.querySelector("input:not([type=hidden]), select");
      if (field) { field.focus(); }
      return;
    }
    target.click();
  }
  document.addEventListener("click", function (e) {
    var item = e.target.closest ? e.target.closest(".proposal") : null;
    if (item && !item.classList.contains("current")) {
      items().forEach(function (p) { p.classList.remove("current"); p.removeAttribute("aria-current"); });
      item.classList.add("current");
      item.setAttribute("aria-current", "true");
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") {
      if (e.key === "Escape") { e.target.blur(); var cur = current(); if (cur) { cur.focus(); } }
      return;
    }
    switch (e.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "a": case "r": case "e": press(e.key); break;
      default: return;
    }
    e.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () { var first = items()[0]; if (first) { select(first); } });
})();
