/* nbscheck report: filter the rule cards by outcome, goal level, category, stage and text. No libraries. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var cards = Array.prototype.slice.call(document.querySelectorAll("#rules > details.rule"));
  var shown = document.getElementById("shown");
  var none = document.getElementById("none");
  if (!form || !cards.length) { return; }
  var texts = cards.map(function (c) { return c.textContent.toLowerCase().replace(/\s+/g, " "); });

  function has(card, attr, value) {
    return !value || (" " + card.getAttribute(attr) + " ").indexOf(" " + value + " ") >= 0;
  }

  function apply() {
    var outcomes = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=outcome]"), function (box) {
      outcomes[box.value] = box.checked;
    });
    var goal = form.elements.goal.value, category = form.elements.category.value, stage = form.elements.stage.value;
    var words = form.elements.q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    cards.forEach(function (card, i) {
      var visible = outcomes[card.getAttribute("data-outcome")] &&
        has(card, "data-goals", goal) && has(card, "data-categories", category) && has(card, "data-stages", stage) &&
        words.every(function (w) { return texts[i].indexOf(w) >= 0; });
      card.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = count + " of " + cards.length + " rules shown";
    none.hidden = count > 0;
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  Array.prototype.forEach.call(form.querySelectorAll("button[data-expand]"), function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-expand") === "1";
      cards.forEach(function (card) { if (!card.hidden) { card.open = open; } });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("a[data-only]"), function (tile) {
    tile.addEventListener("click", function () {
      Array.prototype.forEach.call(form.querySelectorAll("input[name=outcome]"), function (box) {
        box.checked = box.value === tile.getAttribute("data-only");
      });
      apply();
    });
  });
  window.addEventListener("beforeprint", function () {
    cards.forEach(function (card) { card.open = true; });
  });
  apply();
}());
