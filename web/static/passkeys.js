// Passkeys: the browser's own prompt, then its signed answer goes back in an ordinary form.
// Loaded by tellonce.js only on pages with a passkey form. The server checks everything;
// this file only moves bytes between the page and the browser's WebAuthn interface.

const fromBase64url = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
};

const toBase64url = (buffer) => {
  const binary = String.fromCharCode(...new Uint8Array(buffer));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

// Browsers from 2024 parse the server's JSON options themselves; older ones need this.
const withIds = (list) => (list || []).map((item) => ({ ...item, id: fromBase64url(item.id) }));

const creationOptions = (json) => {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  };
};

const requestOptions = (json) => {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return { ...json, challenge: fromBase64url(json.challenge),
    allowCredentials: withIds(json.allowCredentials) };
};

const answerJSON = (credential) => {
  if (typeof credential.toJSON === "function") {
    return credential.toJSON();
  }
  const { response } = credential;
  const answer = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toBase64url(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    answer.response.attestationObject = toBase64url(response.attestationObject);
    answer.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    answer.response.authenticatorData = toBase64url(response.authenticatorData);
    answer.response.signature = toBase64url(response.signature);
    if (response.userHandle) {
      answer.response.userHandle = toBase64url(response.userHandle);
    }
  }
  return answer;
};

const ask = (form) => {
  const options = JSON.parse(form.dataset.passkeyOptions);
  if (form.dataset.passkey === "create") {
    return navigator.credentials.create({ publicKey: creationOptions(options) });
  }
  return navigator.credentials.get({ publicKey: requestOptions(options) });
};

for (const form of document.querySelectorAll("form[data-passkey]")) {
  const fallback = document.getElementById(form.dataset.passkeyFallback);
  const problem = form.querySelector("[data-passkey-problem]");
  if (!window.PublicKeyCredential || !navigator.credentials) {
    continue; // The fallback words stay: this browser cannot use passkeys.
  }
  if (fallback) {
    fallback.hidden = true;
  }
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    try {
      const credential = await ask(form);
      form.elements.credential.value = JSON.stringify(answerJSON(credential));
      form.submit();
    } catch {
      // Cancelled, timed out, or no passkey for this site on the device: say so by the button.
      problem.hidden = false;
      problem.focus();
    }
  });
}
