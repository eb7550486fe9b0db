// kubedrift dashboard: the one enhancement. A menu or box marked data-autosubmit submits
// its form when it changes, so filters apply without pressing "Filter"; without
// JavaScript the buttons do the same. Loaded from /static (the CSP allows no inline script).
"use strict";
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.requestSubmit();
  }
});
