/* Counter page: pick the procedure by typing, with or without diacritics, and keep Save single.
   Without JavaScript the plain <select> and its "Choose" button still work. */
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase().replace(/\s+/g, " ").trim();
  }

  var select = document.querySelector("[data-procedure-picker]");
  if (select) {
    var form = select.form;
    var options = Array.prototype.slice.call(select.options, 1).map(function (o, i) {
      var name = fold(o.dataset.name || o.textContent);
      return {
        value: o.value, label: o.textContent, folded: fold(o.textContent), order: i,
        code: fold(o.value), name: name, bare: name.replace(/^thu tuc /, "")
      };
    });
    /* The catalogue's ranking (procedures/text.py match_rank): the code or the whole name,
       then the name starting with the words, then the words together, then the rest;
       shorter names first within a rank. */
    function rank(o, words) {
      if (words === o.code || words === o.name || words === o.bare) { return 0; }
      if (o.bare.indexOf(words) === 0) { return 1; }
      if (o.name.indexOf(words) !== -1) { return 2; }
      return 3;
    }
    var input = document.createElement("input");
    input.type = "text";
    input.id = select.id;
    input.className = "form-control";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "thu-tuc-ds");
    input.setAttribute("aria-describedby", select.getAttribute("aria-describedby"));
    input.autocomplete = "off";
    var chosen = select.options[select.selectedIndex];
    if (chosen && chosen.value) { input.value = chosen.textContent; }
    var list = document.createElement("ul");
    list.id = "thu-tuc-ds";
    list.className = "list-group position-absolute w-100 shadow";
    list.style.zIndex = 10;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = select.name;
    hidden.value = select.value;
    var wrapper = document.createElement("div");
    wrapper.className = "position-relative";
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    select.replaceWith(wrapper);
    form.appendChild(hidden);
    var active = -1;
    var matches = [];

    function render() {
      var typed = fold(input.value);
      var words = typed.split(" ").filter(Boolean);
      matches = options.filter(function (o) {
        return words.every(function (w) { return o.folded.indexOf(w) !== -1; });
      }).map(function (o) {
        return { option: o, rank: rank(o, typed) };
      }).sort(function (a, b) {
        return a.rank - b.rank || a.option.name.length - b.option.name.length ||
          a.option.order - b.option.order;
      }).map(function (m) { return m.option; }).slice(0, 12);
      /* The first match is highlighted: Enter picks what the clerk sees on top. */
      if (active < 0 || active >= matches.length) { active = matches.length ? 0 : -1; }
      list.innerHTML = "";
      matches.forEach(function (o, i) {
        var li = document.createElement("li");
        li.id = "thu-tuc-goi-y-" + i;
        li.className = "list-group-item list-group-item-action" + (i === active ? " active" : "");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.textContent = o.label;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(o); });
        list.appendChild(li);
      });
      list.hidden = matches.length === 0 || !input.value.trim();
      input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
      if (active >= 0) { input.setAttribute("aria-activedescendant", "thu-tuc-goi-y-" + active); }
      else { input.removeAttribute("aria-activedescendant"); }
    }
    function choose(option) {
      hidden.value = option.value;
      input.value = option.label;
      list.hidden = true;
      form.submit();
    }
    input.addEventListener("input", function () { active = 0; hidden.value = ""; render(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { active = Math.min(active + 1, matches.length - 1); render(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
      else if (e.key === "Escape") { list.hidden = true; input.setAttribute("aria-expanded", "false"); }
      else if (e.key === "Enter") {
        e.preventDefault();
        var pick = matches[active >= 0 ? active : 0];
        if (pick) { choose(pick); }
      }
    });
    input.addEventListener("blur", function () { list.hidden = true; input.setAttribute("aria-expanded", "false"); });
    if (!hidden.value) { input.focus(); }
  }

  var intake = document.getElementById("tiep-nhan");
  if (intake) {
    var first = intake.querySelector("input[type=text]");
    if (first && !intake.querySelector(".is-invalid")) { first.focus(); }
    var invalid = intake.querySelector(".is-invalid");
    if (invalid) { invalid.focus(); }
    intake.addEventListener("submit", function (e) {
      /* A second press while the first Save is on its way does nothing; the server also
         refuses a repeated form (same token), so a browser retry is harmless too. */
      var button = intake.querySelector("[data-once]");
      if (button.dataset.sent) { e.preventDefault(); return; }
      button.dataset.sent = "1";
      setTimeout(function () { button.disabled = true; }, 0);
    });
  }
})();
