// Pay Outstanding Bills: keep the Total Payment and the summary in step with the selected invoices.
// Progressive enhancement only — the form works the same without it; the server checks everything.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form) { return; }
  var total = form.querySelector("[name=total]");
  var payOn = form.querySelector("[name=pay_on]");
  var account = form.querySelector("[name=bank_account]");
  var summary = document.getElementById("pay-summary");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=invoices]"));
  // Apply credit (only when the customer has credit): the credit pays the selected invoices first.
  var applyCredit = form.querySelector("[name=apply_credit]");
  var offer = document.getElementById("credit-offer");
  var creditCents = offer ? parseInt(offer.dataset.credit, 10) || 0 : 0;
  var totalEdited = false;

  function money(cents) {
    return "$" + (cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function selectedCents() {
    return boxes.filter(function (b) { return b.checked; })
      .reduce(function (sum, b) { return sum + parseInt(b.dataset.available, 10); }, 0);
  }
  function totalCents() {
    var text = (total.value || "").replace(/[$,\s]/g, "");
    if (!/^\d+(\.\d{0,2})?$/.test(text)) { return null; }
    var parts = text.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }
  function creditUsed() {
    return applyCredit && applyCredit.checked ? Math.min(creditCents, selectedCents()) : 0;
  }
  function update() {
    var count = boxes.filter(function (b) { return b.checked; }).length;
    if (!totalEdited) { total.value = ((selectedCents() - creditUsed()) / 100).toFixed(2); }
    var cents = totalCents();
    var from = account && account.selectedIndex >= 0 ? account.options[account.selectedIndex].text : "your bank account";
    var day = payOn.value ? new Date(payOn.value + "T12:00:00").toLocaleDateString("en-US", { weekday: "long", month: "long", day: "numeric", year: "numeric" }) : "the Pay On date";
    if (!count) { summary.textContent = "Select at least one invoice to pay."; return; }
    var credit = creditUsed();
    if (credit && cents === 0) {
      summary.textContent = "Your credit of " + money(credit) + " pays " + count + " invoice" + (count === 1 ? "" : "s") +
        " (" + money(selectedCents()) + " due). Nothing will be taken from your bank account.";
      return;
    }
    summary.textContent = (credit ? money(credit) + " of your credit is applied first. " : "") +
      "You are paying " + (cents === null ? "an amount to check" : money(cents)) +
      " toward " + count + " invoice" + (count === 1 ? "" : "s") + " (" + money(selectedCents()) + " due), from " +
      from + ", on " + day + ".";
  }
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  total.addEventListener("input", function () { totalEdited = true; update(); });
  payOn.addEventListener("change", update);
  if (applyCredit) { applyCredit.addEventListener("change", function () { totalEdited = false; update(); }); }
  if (account) { account.addEventListener("change", update); }
  update();
})();
