// Milia Clinic: small progressive enhancements. No inline scripts (Content Security Policy).
"use strict";

// A refused form: focus goes to the first field to correct (the error summary above the form
// links to each), on a page load as after an htmx swap.
const firstInvalidField = (root) =>
  root.querySelector("input.is-invalid, select.is-invalid, textarea.is-invalid");

const focusField = (field) => {
  field.focus({ preventScroll: true });
  field.scrollIntoView({ block: "center" });
};

(() => {
  const field = firstInvalidField(document.getElementById("main") || document.body);
  if (field) {
    focusField(field);
  }
})();

// A link of the error summary focuses its field (a radio group's first choice), not only
// scrolls to it.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) {
    return;
  }
  const id = decodeURIComponent(link.hash.slice(1));
  const field = document.getElementById(id) || document.getElementById(`${id}_0`);
  if (field) {
    event.preventDefault();
    focusField(field);
  }
});

// After htmx swaps in a form, move focus to the first field to correct, or to a new site
// form's first field, so keyboard users land there. On settle: until then, an element that
// kept its id still wears its old attributes (htmx's settling), without "is-invalid".
document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.target;
  const invalid = firstInvalidField(target);
  if (invalid) {
    focusField(invalid);
    return;
  }
  if (target.id === "site-form") {
    const field = target.querySelector("input:not([type=hidden]), select");
    if (field) {
      field.focus();
      target.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }
});

// Automatic logoff: the server logs out after the idle time; warn a minute before, and offer to
// stay. Any request (page or htmx) counts as activity.
(() => {
  const body = document.body;
  const idleSeconds = Number(body.dataset.idleSeconds || 0);
  const warning = document.getElementById("idle-warning");
  if (!idleSeconds || !warning) {
    return;
  }
  const warnAfter = Math.max(idleSeconds - 60, 1) * 1000;
  let warnTimer;
  let logoutTimer;
  const csrfToken = () => JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];

  const schedule = () => {
    clearTimeout(warnTimer);
    clearTimeout(logoutTimer);
    warning.hidden = true;
    warnTimer = setTimeout(() => {
      warning.hidden = false;
      warning.querySelector("[data-keepalive]").focus();
    }, warnAfter);
    // A moment past the idle time, reload: the server answers with the login page.
    logoutTimer = setTimeout(() => window.location.reload(), idleSeconds * 1000 + 2000);
  };

  warning.querySelector("[data-keepalive]").addEventListener("click", () => {
    fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    }).then(schedule);
  });
  document.addEventListener("htmx:afterRequest", schedule);
  schedule();
})();
