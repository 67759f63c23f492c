/* Searchable multi-selects (tracker/pickers.py): every <select multiple data-picker> becomes a Tom Select
   box, typed into to search, worked by touch and keyboard. The texts come from the select's data-* attributes,
   in the page's language. Loaded as a file: the Content-Security-Policy forbids inline script. */
(function () {
  "use strict";
  function text(select, name) {
    return select.getAttribute("data-" + name) || "";
  }
  function message(className, words) {
    var div = document.createElement("div");
    div.className = className;
    div.textContent = words;
    return div;
  }
  function ready() {
    if (typeof window.TomSelect !== "function") {
      return;  // the library did not load: the plain list still works
    }
    document.querySelectorAll("select[multiple][data-picker]").forEach(function (select) {
      if (select.tomselect) {
        return;
      }
      var picker = new window.TomSelect(select, {
        plugins: { remove_button: { title: text(select, "remove") } },
        placeholder: text(select, "placeholder"),
        hidePlaceholder: false,
        maxOptions: null,
        closeAfterSelect: false,
        render: {
          no_results: function () { return message("no-results", text(select, "no-results")); }
        }
      });
      picker.on("item_add", function () { picker.setTextboxValue(""); picker.refreshOptions(false); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
