// The link page: copy the link, or start an email with it. Both are built here, in the
// browser, from the link on the page; the passcode is never on this page, so never in them.

const status = document.querySelector("[data-copy-status]");

for (const button of document.querySelectorAll("[data-copy-button]")) {
  const source = document.getElementById(button.dataset.copyButton);
  if (!navigator.clipboard || !source) {
    continue; // The link stays on the page to select and copy by hand.
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.value);
      status.textContent = "The link is copied. You can paste it into a message.";
    } catch {
      source.select();
      status.textContent = "The link is selected. Copy it with your device's copy command.";
    }
  });
}

for (const mail of document.querySelectorAll("[data-mailto-link]")) {
  const source = document.getElementById(mail.dataset.mailtoLink);
  if (!source) {
    continue;
  }
  const subject = `Tell Once: ${mail.dataset.mailtoSubject}`;
  const body = `You can see what I want you to know here:\n\n${source.value}\n\n`
    + "If it asks for a passcode, I will tell you it another way.\n";
  mail.href = `mailto:?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
  mail.hidden = false;
}
