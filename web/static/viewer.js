// The share-link viewer (DESIGN.md, "Share links and QR codes"; docs/decisions/0002-share-links.md).
//
// The link is /view#shlink:/PAYLOAD. The part after "#" holds the key and never reaches a server.
// This script takes it out of the address bar first, keeps it only in a variable, asks who is
// opening the record, asks the link's manifest for the copy, decrypts it here with WebCrypto and
// shows it with text only: nothing from the record is ever parsed as HTML. It writes nothing to
// any browser storage.

import { ErrorSummary, setFocus } from "./build/nhsuk-frontend.min.js";

// First, before anything else: the key leaves the address bar (and so the history entry, a
// bookmark, a screenshot of the address bar, or a copied address).
const fragment = window.location.hash;
if (fragment) {
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
}

const RECORD_TYPE = "application/vnd.tellonce.record+json";
const FHIR_JSON = "application/fhir+json";
const SHLINK = "shlink:/";

const WORDS = {
  notComplete: "This link is not complete. Ask the person to send it again.",
  gone: "This link is not available. It may have ended, or the person may have stopped sharing it.",
  otherSite: "This link is for another website, so it cannot be opened on this page. Ask the person to send it again.",
  cannotShow: "This page cannot open this kind of link. Ask the person to send it again.",
  noCrypto: "This browser cannot open the record securely. Try again with an up-to-date web browser.",
  offline: "The record could not be fetched. Check your internet connection, then try again.",
  failed: "Something went wrong. Try again in a few minutes.",
  name: "Enter your name",
  role: "Enter your role or organisation",
  passcode: "Enter the passcode",
};

/** A link or copy that cannot be read: one plain message, whatever the cause. */
class Unreadable extends Error {}

// --- Bytes ---------------------------------------------------------------------------------------

function fromBase64(text, urlSafe) {
  const alphabet = urlSafe ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (typeof text !== "string" || !alphabet.test(text)) throw new Unreadable();
  let plain = urlSafe ? text.replace(/-/g, "+").replace(/_/g, "/") : text.replace(/=+$/, "");
  if (plain.length % 4 === 1) throw new Unreadable();
  plain += "=".repeat((4 - (plain.length % 4)) % 4);
  const binary = window.atob(plain);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function utf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Unreadable();
  }
}

function jsonOf(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Unreadable();
  }
}

const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

// --- The link ------------------------------------------------------------------------------------

/** The payload after the last "#": {url, key, flag, label}, or a message saying why not. */
function readLink(hash) {
  const text = hash.slice(hash.lastIndexOf("#") + 1);
  if (!text.startsWith(SHLINK)) return { problem: WORDS.notComplete };
  let payload;
  let key;
  let url;
  try {
    payload = jsonOf(utf8(fromBase64(text.slice(SHLINK.length), true)));
    if (!isObject(payload) || typeof payload.url !== "string") throw new Unreadable();
    key = fromBase64(payload.key, true);
    if (key.length !== 32) throw new Unreadable();
    url = new URL(payload.url);
  } catch {
    return { problem: WORDS.notComplete };
  }
  const flag = typeof payload.flag === "string" ? payload.flag : "";
  // A newer version, or a link fetched straight from its file (U), is not one this page makes.
  if ((payload.v !== undefined && payload.v !== 1) || flag.includes("U")) {
    return { problem: WORDS.cannotShow };
  }
  // The page's policy lets it talk to this site only (connect-src 'self').
  if (url.origin !== window.location.origin) return { problem: WORDS.otherSite };
  if (typeof payload.exp === "number" && payload.exp * 1000 < Date.now()) return { problem: WORDS.gone };
  return {
    url: url.href,
    key,
    passcode: flag.includes("P"),
    label: typeof payload.label === "string" ? payload.label.slice(0, 80) : "",
  };
}

// --- The copy ------------------------------------------------------------------------------------

/** The plaintext of a compact JWE, "dir" + "A256GCM" under the link's key; nothing else opens. */
async function openJwe(token, keyBytes) {
  if (typeof token !== "string") throw new Unreadable();
  const parts = token.split(".");
  if (parts.length !== 5) throw new Unreadable();
  const [protectedHeader, encryptedKey, iv, ciphertext, tag] = parts;
  const header = jsonOf(utf8(fromBase64(protectedHeader, true)));
  // No compression: the copy is never compressed, and a reader that inflated it could be made
  // to fill the memory.
  if (!isObject(header) || header.alg !== "dir" || header.enc !== "A256GCM" || "zip" in header
      || encryptedKey !== "") {
    throw new Unreadable();
  }
  const ivBytes = fromBase64(iv, true);
  const tagBytes = fromBase64(tag, true);
  const body = fromBase64(ciphertext, true);
  if (ivBytes.length !== 12 || tagBytes.length !== 16) throw new Unreadable();
  const sealed = new Uint8Array(body.length + tagBytes.length);
  sealed.set(body);
  sealed.set(tagBytes, body.length);
  try {
    // Not extractable: the key can decrypt this copy and nothing can read it back out.
    const key = await window.crypto.subtle.importKey("raw", keyBytes, { name: "AES-GCM" }, false,
      ["decrypt"]);
    const plain = await window.crypto.subtle.decrypt(
      // The additional data is the protected header exactly as sent (RFC 7516, 5.1 step 14).
      { name: "AES-GCM", iv: ivBytes, additionalData: new TextEncoder().encode(protectedHeader),
        tagLength: 128 },
      key, sealed);
    return new Uint8Array(plain);
  } catch {
    throw new Unreadable();
  }
}

/** Tell Once's own record JSON, from the DocumentReference inside the FHIR bundle. */
function recordIn(bundle) {
  const entries = isObject(bundle) && Array.isArray(bundle.entry) ? bundle.entry : [];
  for (const entry of entries) {
    const resource = isObject(entry) ? entry.resource : null;
    if (!isObject(resource) || resource.resourceType !== "DocumentReference") continue;
    for (const content of Array.isArray(resource.content) ? resource.content : []) {
      const attachment = isObject(content) ? content.attachment : null;
      if (isObject(attachment) && attachment.contentType === RECORD_TYPE) {
        const record = jsonOf(utf8(fromBase64(attachment.data, false)));
        if (isObject(record) && Array.isArray(record.sections)) return record;
      }
    }
  }
  return null;
}

// --- Words for dates and values ------------------------------------------------------------------

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];
const LONDON = "Europe/London";
const londonMoment = new Intl.DateTimeFormat("en-GB", {
  timeZone: LONDON, weekday: "long", day: "numeric", month: "long", year: "numeric",
  hour: "numeric", minute: "2-digit", hour12: true,
});
const londonDay = new Intl.DateTimeFormat("en-GB", {
  timeZone: LONDON, day: "numeric", month: "long", year: "numeric",
});

function moment(iso) {
  if (typeof iso !== "string") return null;
  // Every time in a copy is UTC; one written without its zone is read as UTC too, never as the
  // time zone of whoever is reading.
  const when = new Date(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(when.getTime()) ? null : when;
}

/** "Monday 23 November 2026 at 2:02pm", in UK time. */
function ukMoment(iso) {
  const when = moment(iso);
  if (!when) return null;
  const part = Object.fromEntries(londonMoment.formatToParts(when).map((p) => [p.type, p.value]));
  const period = (part.dayPeriod || "").toLowerCase().replace(/[^a-z]/g, "");
  return `${part.weekday} ${part.day} ${part.month} ${part.year} at ${part.hour}:${part.minute}${period}`;
}

/** "23 November 2026": the UK day of a moment. */
function ukDay(iso) {
  const when = moment(iso);
  return when ? londonDay.format(when) : null;
}

/** A calendar date as written ("2026-03-01"), which has no time zone: "1 March 2026". */
function ukDate(text) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text));
  if (!parts || Number(parts[2]) < 1 || Number(parts[2]) > 12) return String(text);
  return `${Number(parts[3])} ${MONTHS[Number(parts[2]) - 1]} ${parts[1]}`;
}

// Choice codes shown as words, as the record's own pages and the FHIR narrative show them.
const CHOICE_WORDS = { respect: "ReSPECT", dnacpr: "DNACPR" };

function choiceWords(value) {
  const text = String(value);
  if (CHOICE_WORDS[text]) return CHOICE_WORDS[text];
  const spaced = text.replace(/_/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

// --- Building the page, with text only -----------------------------------------------------------

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

/** Text with its line breaks kept: text nodes and <br> elements, never markup. */
function lines(text) {
  const fragmentOfLines = document.createDocumentFragment();
  String(text).split(/\r\n|\r|\n/).forEach((line, index) => {
    if (index) fragmentOfLines.append(document.createElement("br"));
    fragmentOfLines.append(document.createTextNode(line));
  });
  return fragmentOfLines;
}

function bulleted(values, show) {
  const list = element("ul", "nhsuk-list nhsuk-list--bullet");
  for (const value of values) {
    const item = element("li");
    item.append(show(value));
    list.append(item);
  }
  return list;
}

/** A field's value as nodes: Yes or No, UK dates, words for choices, lists as lists. */
function shown(field, value) {
  switch (field.type) {
    case "boolean":
      return document.createTextNode(value ? "Yes" : "No");
    case "date":
      return document.createTextNode(ukDate(value));
    case "choice":
      return document.createTextNode(choiceWords(value));
    case "strings":
      return Array.isArray(value) ? bulleted(value, (one) => lines(one)) : lines(value);
    case "list": {
      if (!Array.isArray(value)) return lines(JSON.stringify(value));
      const subs = Array.isArray(field.item_fields) ? field.item_fields : [];
      return bulleted(value, (row) => {
        const parts = element("ul", "nhsuk-list");
        for (const sub of subs) {
          if (!isObject(row) || !(sub.name in row)) continue;
          const part = element("li");
          part.append(document.createTextNode(`${sub.label}: `), shown(sub, row[sub.name]));
          parts.append(part);
        }
        return parts;
      });
    }
    default:
      return lines(isObject(value) || Array.isArray(value) ? JSON.stringify(value) : value);
  }
}

/** What names an item: its first short field, or the start of its own words when it needs one. */
function itemHeading(item, count) {
  const fields = (Array.isArray(item.fields) ? item.fields : []).filter(isObject);
  const short = fields.find((f) => (f.type === "string" || f.type === "choice") && f.value !== "");
  if (short) {
    const words = short.type === "choice" ? choiceWords(short.value) : String(short.value);
    return words.length <= 80 ? words : `${words.slice(0, 79)}…`;
  }
  if (count < 2) return null;
  const text = fields.find((f) => f.type === "text");
  if (!text) return null;
  const words = String(text.value).split(/\r\n|\r|\n/)[0];
  return words.length <= 60 ? words : `${words.slice(0, 59)}…`;
}

function writtenWords(item) {
  const who = String(item.written_by || "the person");
  const start = who.startsWith("imported") ? who.charAt(0).toUpperCase() + who.slice(1)
    : `Written by ${who}`;
  const when = ukDay(item.updated_at);
  return when ? `${start}, updated ${when}.` : `${start}.`;
}

function renderItem(item, count) {
  const box = element("div", "tellonce-print-entry");
  const heading = itemHeading(item, count);
  if (heading) box.append(element("h3", "", heading));
  const list = element("dl", "nhsuk-summary-list");
  for (const field of Array.isArray(item.fields) ? item.fields : []) {
    if (!isObject(field)) continue;
    const row = element("div", "nhsuk-summary-list__row");
    const value = element("dd", "nhsuk-summary-list__value");
    value.append(shown(field, field.value));
    row.append(element("dt", "nhsuk-summary-list__key", String(field.label)), value);
    list.append(row);
  }
  box.append(list, element("p", "nhsuk-body-s", writtenWords(item)));
  if (typeof item.provenance === "string" && item.provenance) {
    box.append(element("p", "nhsuk-body-s", `Where this came from: “${item.provenance}”`));
  }
  return box;
}

function preferredName(record) {
  for (const section of record.sections) {
    if (!isObject(section) || section.name !== "identity" || !Array.isArray(section.items)) continue;
    for (const item of section.items) {
      const fields = isObject(item) && Array.isArray(item.fields) ? item.fields : [];
      const field = fields.find((f) => isObject(f) && f.name === "preferred_name");
      if (field && typeof field.value === "string" && field.value.trim()) return field.value.trim();
    }
  }
  return null;
}

// --- The page ------------------------------------------------------------------------------------

const root = document.getElementById("viewer");
const problems = document.getElementById("viewer-problems");
const baseTitle = document.title;

/** An error summary, announced and focused, with each field's message beside the field too. */
function showProblems(list) {
  clearProblems();
  const summary = element("div", "nhsuk-error-summary");
  summary.dataset.module = "nhsuk-error-summary";
  const alert = element("div");
  alert.setAttribute("role", "alert");
  const body = element("div", "nhsuk-error-summary__body");
  alert.append(element("h2", "nhsuk-error-summary__title", "There is a problem"), body);
  const linked = list.filter((p) => p.field);
  for (const problem of list.filter((p) => !p.field)) body.append(element("p", "", problem.text));
  if (linked.length) {
    const items = element("ul", "nhsuk-list nhsuk-error-summary__list");
    for (const problem of linked) {
      const link = element("a", "", problem.text);
      link.href = `#${problem.field.id}`;
      const item = element("li");
      item.append(link);
      items.append(item);
      fieldError(problem.field, problem.text);
    }
    body.append(items);
  }
  summary.append(alert);
  problems.append(summary);
  document.title = `Error: ${baseTitle}`;
  // The NHS.UK component: it takes focus, and its links move focus to their field.
  new ErrorSummary(summary);
}

function fieldError(input, text) {
  input.closest(".nhsuk-form-group").classList.add("nhsuk-form-group--error");
  input.classList.add("nhsuk-input--error");
  const message = element("span", "nhsuk-error-message");
  message.id = `${input.id}-error`;
  message.append(element("span", "nhsuk-u-visually-hidden", "Error:"), ` ${text}`);
  input.before(message);
  input.dataset.describedBy ??= input.getAttribute("aria-describedby") || "";
  input.setAttribute("aria-describedby", `${input.dataset.describedBy} ${message.id}`.trim());
}

function clearProblems() {
  problems.replaceChildren();
  document.title = baseTitle;
  for (const message of root.querySelectorAll(".nhsuk-error-message")) message.remove();
  for (const group of root.querySelectorAll(".nhsuk-form-group--error")) {
    group.classList.remove("nhsuk-form-group--error");
  }
  for (const input of root.querySelectorAll(".nhsuk-input--error")) {
    input.classList.remove("nhsuk-input--error");
    if (input.dataset.describedBy) input.setAttribute("aria-describedby", input.dataset.describedBy);
    else input.removeAttribute("aria-describedby");
  }
}

function show(part) {
  for (const id of ["viewer-start", "viewer-stopped", "viewer-record"]) {
    document.getElementById(id).hidden = id !== part;
  }
}

/** The link cannot be used at all: say why, with nothing left to fill in. */
function stop(text) {
  show("viewer-stopped");
  showProblems([{ text }]);
}

async function fetchCopy(link, recipient, passcode) {
  const body = { recipient };
  if (link.passcode) body.passcode = passcode;
  // No cookie goes with it (the recipient may have a Tell Once account of their own), and no
  // referrer; the fragment is never part of a request anyway.
  const options = { credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
                    redirect: "error" };
  const answer = await fetch(link.url, {
    ...options, method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  // A refusal's body is always read to its end: left unread, the browser keeps the request
  // open until the page goes, and then reports it as cut off.
  if (!answer.ok) return { status: answer.status, answer, body: await answer.json().catch(() => null) };
  const manifest = await answer.json().catch(() => null);
  const files = isObject(manifest) && Array.isArray(manifest.files) ? manifest.files : [];
  const file = files.find((f) => isObject(f) && typeof f.contentType === "string"
    && f.contentType.split(";")[0].trim() === FHIR_JSON);
  if (!file) throw new Unreadable();
  let token = file.embedded;
  if (typeof token !== "string") {
    if (typeof file.location !== "string") throw new Unreadable();
    const where = new URL(file.location, window.location.href);
    if (where.origin !== window.location.origin) throw new Unreadable();
    const fetched = await fetch(where.href, { ...options, method: "GET" });
    if (!fetched.ok) {
      return { status: fetched.status, answer: fetched, body: await fetched.text().catch(() => null) };
    }
    token = (await fetched.text()).trim();
  }
  const record = recordIn(jsonOf(utf8(await openJwe(token, link.key))));
  if (!record) throw new Unreadable();
  return { status: 200, record, updated: file.lastUpdated ?? record.made_at };
}

function renderRecord(link, record, updated) {
  const heading = document.getElementById("viewer-heading");
  heading.textContent = preferredName(record) || "Shared record";
  // Not the person's name: a tab's title goes into the browser's history.
  document.title = "Shared record – Tell Once";
  const named = link.label || (typeof record.label === "string" ? record.label.slice(0, 80) : "");
  const label = document.getElementById("viewer-label");
  label.textContent = named ? `The person called this link “${named}”.` : "";
  label.hidden = !named;
  const when = ukMoment(updated);
  const updatedLine = document.getElementById("viewer-updated");
  updatedLine.textContent = when ? `This copy was last updated on ${when}.` : "";
  updatedLine.hidden = !when;
  const sections = document.getElementById("viewer-sections");
  const parts = record.sections.filter((s) => isObject(s) && Array.isArray(s.items) && s.items.length);
  if (!parts.length) {
    sections.append(element("p", "", "Nothing has been written yet in the parts of the record this link shares."));
  }
  // In the order the record gives: emergency and future care plans come first.
  parts.forEach((section, index) => {
    const part = element("section");
    const title = element("h2", "", String(section.title || "Part of the record"));
    title.id = `viewer-part-${index}`;
    part.setAttribute("aria-labelledby", title.id);
    part.append(title);
    for (const item of section.items) if (isObject(item)) part.append(renderItem(item, section.items.length));
    sections.append(part);
  });
  show("viewer-record");
  setFocus(heading);
}

function start(link) {
  const form = document.getElementById("viewer-form");
  const name = document.getElementById("viewer-name");
  const role = document.getElementById("viewer-role");
  const passcode = document.getElementById("viewer-passcode");
  const status = document.getElementById("viewer-status");
  const labelLine = document.getElementById("viewer-link-label");
  if (link.label) {
    labelLine.textContent = `The person called this link “${link.label}”.`;
    labelLine.hidden = false;
  }
  document.getElementById("viewer-passcode-group").hidden = !link.passcode;
  let busy = false;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    const missing = [];
    if (!name.value.trim()) missing.push({ field: name, text: WORDS.name });
    if (!role.value.trim()) missing.push({ field: role, text: WORDS.role });
    if (link.passcode && !passcode.value) missing.push({ field: passcode, text: WORDS.passcode });
    if (missing.length) {
      showProblems(missing);
      return;
    }
    clearProblems();
    busy = true;
    status.textContent = "Opening the record…";
    let result;
    try {
      result = await fetchCopy(link, `${name.value.trim()}, ${role.value.trim()}`, passcode.value);
    } catch (error) {
      result = { status: error instanceof Unreadable ? "unreadable" : "offline" };
    } finally {
      busy = false;
      status.textContent = "";
    }
    if (result.status === 200) {
      // The key has done its work: drop it, and what was typed, before showing the record.
      link.key.fill(0);
      passcode.value = "";
      renderRecord(link, result.record, result.updated);
      return;
    }
    if (result.status === 401) {
      const left = isObject(result.body) ? result.body.remainingAttempts : null;
      const tries = Number.isInteger(left)
        ? ` You have ${left === 0 ? "no" : left} ${left === 1 ? "try" : "tries"} left.` : "";
      document.getElementById("viewer-passcode-group").hidden = false;
      link.passcode = true;
      showProblems([{ field: passcode, text: `That passcode is not right.${tries}` }]);
    } else if (result.status === 404) {
      link.key.fill(0);
      stop(WORDS.gone);
    } else if (result.status === 429) {
      const wait = Number.parseInt(result.answer.headers.get("Retry-After") || "", 10);
      showProblems([{ text: Number.isInteger(wait) && wait >= 0
        ? `Please wait ${wait} ${wait === 1 ? "second" : "seconds"}, then try again.`
        : "Please wait a minute, then try again." }]);
    } else if (result.status === "unreadable") {
      link.key.fill(0);
      stop(WORDS.notComplete);
    } else if (result.status === "offline") {
      showProblems([{ text: WORDS.offline }]);
    } else {
      showProblems([{ text: WORDS.failed }]);
    }
  });

  document.getElementById("viewer-print").addEventListener("click", () => window.print());
  document.getElementById("viewer-clear").addEventListener("click", () => {
    // Empty the page first, then load a new one: nothing this page held, in the page or in
    // memory, goes on, and the back button cannot bring the record back (location.replace).
    root.replaceChildren();
    window.location.replace(`${window.location.pathname}?cleared`);
  });
  show("viewer-start");
}

if (root) {
  const link = fragment ? readLink(fragment) : { problem: WORDS.notComplete };
  if (link.problem) stop(link.problem);
  else if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) stop(WORDS.noCrypto);
  else start(link);
}

// A new link pasted into this tab's address bar only changes the fragment: load it afresh.
window.addEventListener("hashchange", () => {
  if (window.location.hash.includes(SHLINK)) window.location.reload();
});
