// Milia Clinic: printing aftercare sheets. No inline scripts (Content Security Policy).
"use strict";

// The print view's Print button: hidden until this script runs, since it needs JavaScript.
function enablePrintButtons() {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
}

function filenameFrom(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(header);
  return match ? match[1] : fallback;
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// "Print all (PDF)": the PDF of a whole day takes a few seconds to make, so fetch it while a
// spinner says what is happening, then hand it over as a download. Without JavaScript the form
// still submits and the browser downloads the PDF itself.
function enableBatchPdf() {
  for (const form of document.querySelectorAll("form[data-batch-pdf-form]")) {
    const status = form.querySelector("[data-batch-status]");
    const spinner = form.querySelector("[data-batch-spinner]");
    const message = form.querySelector("[data-batch-message]");
    const count = Number(form.dataset.count);
    const sheets = count === 1 ? "1 sheet" : `${count} sheets`;

    form.addEventListener("submit", async (event) => {
      const button = event.submitter;
      if (!button || !button.hasAttribute("data-batch-pdf")) {
        return; // "Print all in the browser" submits as usual.
      }
      event.preventDefault();
      const query = new URLSearchParams(new FormData(form)).toString();
      const url = query ? `${form.action}?${query}` : form.action;
      button.disabled = true;
      spinner.hidden = false;
      status.classList.remove("text-danger");
      message.textContent = `Preparing ${sheets}…`;
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) {
          throw new Error(`HTTP ${response.status}`);
        }
        saveBlob(await response.blob(), filenameFrom(response, "aftercare.pdf"));
        message.textContent = `Your PDF of ${sheets} is ready.`;
      } catch (error) {
        status.classList.add("text-danger");
        message.textContent = "The PDF could not be made. Please try again.";
      } finally {
        spinner.hidden = true;
        button.disabled = false;
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  enablePrintButtons();
  enableBatchPdf();
});
