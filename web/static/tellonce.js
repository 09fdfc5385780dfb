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
