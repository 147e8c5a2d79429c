/* Every page: a form that comes back with errors puts the keyboard on its error summary, so a
   screen reader announces it and Tab goes on to the first link or field; the summary's links
   move the focus to their field. Loaded at the end of <body>; no inline script anywhere. */
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]") ||
    document.querySelector("main form .alert-danger");
  if (summary) {
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (field) { event.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
    });
    return;
  }
  var invalid = document.querySelector("main form .is-invalid");
  if (invalid) { invalid.focus(); }
})();
