// Small progressive enhancements; every page works without them.

// The NHS.UK frontend's own scripts: the error summary takes focus, the skip link moves
// focus, show-and-hide parts work. The class is what the NHS template sets with an inline
// script, which this site's Content-Security-Policy forbids, so it is set here.
import { initAll } from "./build/nhsuk-frontend.min.js";

document.body.classList.add("nhsuk-frontend-supported");
initAll();

const printButton = document.getElementById("print-page");
if (printButton) {
  printButton.hidden = false;
  printButton.addEventListener("click", () => window.print());
}

// Leaving quickly also takes this page out of the back button's reach.
const leave = document.getElementById("leave-quickly");
if (leave) {
  leave.addEventListener("click", (event) => {
    event.preventDefault();
    window.location.replace(leave.href);
  });
}

// Warn two minutes before an idle session ends, with a way to stay (WCAG 2.2.1).
const warning = document.getElementById("timeout-warning");
if (warning && typeof warning.showModal === "function") {
  const idle = Number(warning.dataset.idleSeconds) * 1000;
  const notice = 2 * 60 * 1000;
  let warnTimer;
  let endTimer;
  const schedule = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(() => {
      warning.showModal();
      document.getElementById("timeout-stay").focus();
    }, Math.max(idle - notice, 0));
    endTimer = setTimeout(() => {
      window.location.assign(warning.dataset.signedOutUrl);
    }, idle);
  };
  document.getElementById("timeout-stay").addEventListener("click", async () => {
    const body = new URLSearchParams({ csrf_token: warning.dataset.csrf });
    const answer = await fetch(warning.dataset.stayUrl, { method: "POST", body });
    warning.close();
    if (answer.ok) {
      schedule();
    } else {
      window.location.assign(warning.dataset.signedOutUrl);
    }
  });
  schedule();
}
