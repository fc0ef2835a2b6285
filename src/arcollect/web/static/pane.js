// Workspace pages: a header checkbox [data-pick-all] picks every row checkbox of its table.
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("input[data-pick-all]")) { return; }
    var table = box.closest("table");
    if (!table) { return; }
    table.querySelectorAll("tbody input[type=checkbox]").forEach(function (b) { b.checked = box.checked; });
  });
})();
