// Small progressive enhancements; every page works without them.

// The NHS.UK frontend's own scripts: the error summary takes focus, the skip link moves
// focus, show-and-hide parts work. The class is what the NHS template sets with an inline
// script, which this site's Content-Security-Policy forbids, so it is set here.
import { initAll } from "./build/nhsuk-frontend.min.js";

document.body.classList.add("nhsuk-frontend-supported");
initAll();

// Passkey forms need the browser's WebAuthn interface; that script loads only where they are.
if (document.querySelector("form[data-passkey]")) {
  import("./passkeys.js");
}

// The link page's copy and email buttons.
if (document.querySelector("[data-copy-button], [data-mailto-link]")) {
  import("./sharing.js");
}

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
  const stayButton = document.getElementById("timeout-stay");
  const signOut = document.getElementById("timeout-sign-out");
  // Every page load and every "stay", in any tab, uses the one session and so starts its idle
  // time again: the other tabs start their count again too, or an idle tab would warn, then sign
  // out, someone busy in another.
  const tabs = typeof BroadcastChannel === "function" ? new BroadcastChannel("tellonce-session") : null;
  let warnTimer;
  let endTimer;
  const show = () => {
    if (!warning.open) warning.showModal();
    stayButton.focus();
  };
  const schedule = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(show, Math.max(idle - notice, 0));
    // Signing out, not only leaving the page, makes the warning's "you will be signed out" true
    // whatever the server counted, and takes the record off the screen of someone who walked away.
    endTimer = setTimeout(() => signOut.submit(), idle);
  };
  const restart = () => {
    if (warning.open) warning.close();
    schedule();
  };
  const stay = async () => {
    let answer;
    try {
      answer = await fetch(warning.dataset.stayUrl, {
        method: "POST", body: new URLSearchParams(new FormData(signOut)),
      });
    } catch {
      // No answer, so nothing was extended: the warning stays, to try again.
      show();
      return;
    }
    // An ended session answers with a redirect to the sign-in page, whose 200 is no success.
    if (answer.ok && !answer.redirected) {
      restart();
      if (tabs) tabs.postMessage("stayed");
    } else {
      // Read to its end first: leaving the page would cut the answer off half-way.
      await answer.text();
      signOut.submit();
    }
  };
  stayButton.addEventListener("click", stay);
  // Escape closes the dialog. Whoever pressed it is here, so it counts as staying: otherwise
  // they would be signed out two minutes later with no warning left on the screen.
  warning.addEventListener("cancel", stay);
  if (tabs) {
    tabs.addEventListener("message", restart);
    tabs.postMessage("loaded");
  }
  schedule();
}
