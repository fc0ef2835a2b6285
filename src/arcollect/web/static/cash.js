// Cash application page: keyboard for the review queue (j/↓ next line, k/↑ previous, a accept the top
// proposal, / find a customer, Esc leaves a field), the running total of the invoices picked by hand or for a
// move, and the write-off amount that follows the invoice chosen.
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#cash-lines .cl-row")); }
  function move(step) {
    var all = rows(), cur = document.querySelector("#cash-lines .cl-row.current");
    var i = cur ? all.indexOf(cur) : -1, next = all[i + step];
    if (!next && i === -1 && all.length) { next = all[0]; }
    var link = next ? next.querySelector("a.cl-link") : null;
    if (link) { window.location = link.getAttribute("href"); }
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || tag === "button") {
      if (e.key === "Escape" && e.target.blur) { e.target.blur(); }
      if (tag !== "button") { return; }
    }
    switch (e.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "a":
        var top = document.getElementById("accept-top");
        if (!top) { return; }
        top.querySelector("button").disabled = true;  // one keystroke, one submission
        top.submit();
        break;
      case "/": var s = document.getElementById("c-search"); if (!s) { return; } s.focus(); break;
      default: return;
    }
    e.preventDefault();
  });

  // ---- the write-off form: the amount follows the invoice chosen (its residual)
  var woInvoice = document.getElementById("wo-invoice"), woAmount = document.getElementById("wo-amount");
  if (woInvoice && woAmount) {
    woInvoice.addEventListener("change", function () {
      var opt = woInvoice.options[woInvoice.selectedIndex];
      if (opt && opt.getAttribute("data-open")) { woAmount.value = opt.getAttribute("data-open"); }
    });
  }

  // ---- running total of each picker (apply by hand, move): amounts in minor units, the line's decimals
  Array.prototype.forEach.call(document.querySelectorAll("form.picker"), function (form) {
    var lineAmount = form.getAttribute("data-amount"), currency = form.getAttribute("data-currency");
    var decimals = (lineAmount.split(".")[1] || "").length, scale = Math.pow(10, decimals);
    var money;
    try { money = new Intl.NumberFormat("en-US", { style: "currency", currency: currency, minimumFractionDigits: decimals, maximumFractionDigits: decimals }); }
    catch (err) { money = { format: function (v) { return v.toFixed(decimals) + " " + currency; } }; }
    function minor(text) {
      text = (text || "").replace(/[\s,]/g, "");
      if (!/^\d+(\.\d*)?$/.test(text)) { return null; }
      var parts = text.split("."), frac = (parts[1] || "");
      if (frac.length > decimals) { return null; }
      while (frac.length < decimals) { frac += "0"; }
      return parseInt(parts[0], 10) * scale + (frac ? parseInt(frac, 10) : 0);
    }
    function plain(units) {
      var whole = Math.floor(units / scale), frac = String(units % scale);
      while (frac.length < decimals) { frac = "0" + frac; }
      return decimals ? whole + "." + frac : String(whole);
    }
    var target = minor(lineAmount);
    function picked() {
      return Array.prototype.slice.call(form.querySelectorAll("table.items tbody tr")).filter(function (tr) {
        var box = tr.querySelector("input[type=checkbox]"); return box && box.checked;
      });
    }
    function total(except) {
      var sum = 0, bad = false;
      picked().forEach(function (tr) {
        if (tr === except) { return; }
        var v = minor(tr.querySelector("input.amount").value);
        if (v === null) { bad = true; } else { sum += v; }
      });
      return { sum: sum, bad: bad };
    }
    function show() {
      var t = total(null), left = target - t.sum;
      var shown = form.querySelector(".picked"), el = form.querySelector(".left"), running = form.querySelector("p.running");
      if (!shown || !el || !running) { return; }
      shown.textContent = money.format(t.sum / scale);
      el.textContent = t.bad ? "an amount is not a number" : left >= 0 ? money.format(left / scale) + " left"
                                                                       : money.format(-left / scale) + " more than the line";
      running.classList.toggle("done", !t.bad && left === 0);
      running.classList.toggle("over", t.bad || left < 0);
    }
    form.addEventListener("change", function (e) {
      var box = e.target;
      if (box.matches && box.matches("input[type=checkbox]")) {
        var tr = box.closest("tr"), input = tr.querySelector("input.amount");
        if (box.checked && !input.value) {
          var open = minor(tr.querySelector("[data-open]").getAttribute("data-open"));
          var rest = Math.max(0, target - total(tr).sum);
          input.value = plain(Math.min(open, rest));
        } else if (!box.checked) { input.value = ""; }
      }
      show();
    });
    form.addEventListener("input", function (e) {
      if (e.target.matches && e.target.matches("input.amount")) {
        var box = e.target.closest("tr").querySelector("input[type=checkbox]");
        if (e.target.value && !box.checked) { box.checked = true; }
        show();
      }
    });
    show();
  });
})();
