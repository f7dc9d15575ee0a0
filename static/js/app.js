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
