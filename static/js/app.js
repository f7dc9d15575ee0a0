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

// The consultation's details save themselves as the clinician leaves a field. While that save is
// on its way, anything else that would write the consultation or leave the page (another form,
// a site's button, a link such as "Review and sign") waits for it: it then carries the version
// the save produced (the answer updates every form's version) instead of racing it, and leaving
// the page does not cut the save off.
(() => {
  const autosaveForm = () => document.querySelector("form[data-autosave]");
  const status = () => document.getElementById("details-status");
  let saving = false;
  let waiting = [];

  const whenSaved = (action) => {
    waiting.push(action);
  };
  const runWaiting = () => {
    // htmx starts a queued save right after the previous one ends: look again a moment later.
    setTimeout(() => {
      if (saving) {
        return;
      }
      const actions = waiting;
      waiting = [];
      actions.forEach((action) => action());
    }, 0);
  };
  const isAutosave = (element) => element && element === autosaveForm();

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (isAutosave(event.detail.elt)) {
      saving = true;
      const region = status();
      if (region) {
        region.textContent = "Saving…";
      }
    }
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (!isAutosave(event.detail.elt)) {
      return;
    }
    saving = false;
    // 400 (a field to correct) and 409 (stale) are swapped in, so htmx counts them successful.
    const saved = event.detail.xhr.status >= 200 && event.detail.xhr.status < 300;
    if (!saved) {
      // Not saved: what waited stays undone, so nothing typed is lost by leaving the page.
      waiting = [];
    }
    const region = status();
    if (region && !event.detail.xhr.status) {
      region.textContent =
        "Not saved: the server could not be reached. What you typed is still here; " +
        "change a field to try again.";
    } else if (region && event.detail.xhr.status >= 500) {
      region.textContent =
        "Not saved: the server failed. What you typed is still here; change a field to try again.";
    }
    if (saved) {
      runWaiting();
    }
  });

  // Another htmx request (a site saved or removed, a site form opened) waits for the save.
  document.addEventListener("htmx:confirm", (event) => {
    if (saving && !isAutosave(event.detail.elt)) {
      event.preventDefault();
      whenSaved(() => event.detail.issueRequest());
    }
  });
  // A plain form posted or a link followed waits for it too.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      // htmx's own forms wait through htmx:confirm.
      if (saving && !form.hasAttribute("hx-post") && !event.defaultPrevented) {
        event.preventDefault();
        const submitter = event.submitter;
        whenSaved(() => form.requestSubmit(submitter));
      }
    },
    true,
  );
  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest("a[href]");
      const plainClick = event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey;
      if (!saving || !link || !plainClick || link.target || link.hasAttribute("download")) {
        return;
      }
      if (link.hasAttribute("hx-get")) {
        return; // an htmx request: waits through htmx:confirm
      }
      event.preventDefault();
      whenSaved(() => window.location.assign(link.href));
    },
    true,
  );
})();

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
