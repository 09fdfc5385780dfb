// Small progressive enhancements; every page works without them.

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
