/* nbscheck report: filter the rule cards by outcome, goal level, category, stage and text. No libraries. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var cards = Array.prototype.slice.call(document.querySelectorAll("#rules > details.rule"));
  var shown = document.getElementById("shown");
  var none = document.getElementById("none");
  if (!form || !cards.length) { return; }
  var texts = cards.map(function (c) { return c.textContent.toLowerCase().replace(/\s+/g, " "); });
  var matches = document.getElementById("matches");
  var indexNode = document.getElementById("object-index");
  var index = indexNode ? JSON.parse(indexNode.textContent) : {rules: [], keys: []};
  var lowerKeys = index.keys.map(function (entry) {
    return entry[1].map(function (k) { return (entry[0] + "/" + k).toLowerCase(); });
  });

  // The rules whose objects (any of them, not only those a card shows) have a key containing the word.
  function rulesWithKey(word, found) {
    var rules = {};
    index.keys.forEach(function (entry, r) {
      var keys = lowerKeys[r];
      for (var i = 0; i < keys.length; i += 1) {
        if (keys[i].indexOf(word) >= 0) {
          rules[index.rules[r]] = true;
          if (found.length < 5) { found.push(entry[0] + "/" + entry[1][i] + " (" + index.rules[r] + ")"); }
          found.count += 1;
        }
      }
    });
    return rules;
  }

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
    var found = [];
    found.count = 0;
    var byKey = words.map(function (w) { return rulesWithKey(w, found); });
    var count = 0;
    cards.forEach(function (card, i) {
      var id = card.id.replace(/^rule-/, "");
      var visible = outcomes[card.getAttribute("data-outcome")] &&
        has(card, "data-goals", goal) && has(card, "data-categories", category) && has(card, "data-stages", stage) &&
        words.every(function (w, j) { return texts[i].indexOf(w) >= 0 || byKey[j][id]; });
      card.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = shown.getAttribute("data-text").replace("{shown}", count).replace("{total}", cards.length);
    if (matches) {
      matches.textContent = words.length && found.count ? matches.getAttribute("data-text")
        .replace("{n}", found.count).replace("(s)", found.count === 1 ? "" : "s").replace("{keys}", found.join("; ") + (found.count > found.length ? "; …" : "")) : "";
    }
    none.hidden = count > 0;
  }

  // Deep links (#rule-ID): open the card and keep it clear of the sticky toolbar.
  function stickyHeight() {
    var style = window.getComputedStyle(form);
    var h = style.position === "sticky" ? form.getBoundingClientRect().height : 0;
    document.documentElement.style.setProperty("--sticky-h", Math.ceil(h) + "px");
  }
  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") {
      target.hidden = false;
      target.open = true;
      target.scrollIntoView();
    }
  }
  stickyHeight();
  window.addEventListener("resize", stickyHeight);
  window.addEventListener("hashchange", openTarget);

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
  openTarget();
}());
