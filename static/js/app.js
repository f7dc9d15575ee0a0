// Milia Clinic: small progressive enhancements. No inline scripts (Content Security Policy).
"use strict";

// After htmx swaps in a form, move focus to its first field so keyboard users land there.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id === "site-form") {
    const field = event.detail.target.querySelector("input:not([type=hidden]), select");
    if (field) {
      field.focus();
      event.detail.target.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }
});
