// Opens a SMART Health Link with a viewer library this project did not write, and prints the
// FHIR bundle it decrypts.
//
//   node tests/interop/open_link.mjs LINK [PASSCODE] [RECIPIENT] [--embedded-length-max N]
//
// kill-the-clipboard's SHLViewer does all of it: it parses the link (viewer prefix and all),
// POSTs the manifest request with the recipient and passcode, fetches any `location` file, and
// decrypts the JWE with the key from the link. Nothing here touches a key or a ciphertext, so
// a copy that only this project's own code can read fails here.
//
// --embedded-length-max 0 asks the server for a `location` instead of an embedded copy.
// Prints the bundle as JSON on stdout and exits 0; on any failure, prints the library's error
// on stderr and exits 1.

import process from "node:process";
import { parseArgs } from "node:util";

const USAGE =
  "usage: node tests/interop/open_link.mjs LINK [PASSCODE] [RECIPIENT] [--embedded-length-max N]";
const DEFAULT_RECIPIENT = "Tell Once interoperability test (kill-the-clipboard SHLViewer)";

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function loadLibrary() {
  try {
    return await import("kill-the-clipboard");
  } catch (error) {
    fail(`cannot load kill-the-clipboard (${error.message}): run \`npm ci\` in the project folder`);
  }
}

function readArguments() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { "embedded-length-max": { type: "string" } },
    });
  } catch (error) {
    fail(`${error.message}\n${USAGE}`);
  }
  const [link, passcode, recipient, ...extra] = parsed.positionals;
  if (!link || extra.length) {
    fail(USAGE);
  }
  const limit = parsed.values["embedded-length-max"];
  if (limit !== undefined && !/^[0-9]+$/.test(limit)) {
    fail(`--embedded-length-max must be a whole number\n${USAGE}`);
  }
  return {
    link,
    // An empty passcode argument means none, so a caller can still give a recipient.
    passcode: passcode || undefined,
    recipient: recipient || DEFAULT_RECIPIENT,
    embeddedLengthMax: limit === undefined ? undefined : Number(limit),
  };
}

async function main() {
  const args = readArguments();
  const { SHLViewer } = await loadLibrary();
  // Node's own fetch: the library's default, so requests go over the network to the server.
  const viewer = new SHLViewer({ shlinkURI: args.link });
  const resolved = await viewer.resolveSHL({
    recipient: args.recipient,
    passcode: args.passcode,
    embeddedLengthMax: args.embeddedLengthMax,
  });
  // A Tell Once link serves exactly one file, the IPS bundle, and no SMART Health Card.
  if (resolved.smartHealthCards.length !== 0 || resolved.fhirResources.length !== 1) {
    fail(`expected one FHIR resource and no health card, got ${resolved.fhirResources.length} ` +
         `and ${resolved.smartHealthCards.length}`);
  }
  process.stdout.write(`${JSON.stringify(resolved.fhirResources[0])}\n`);
}

main().catch((error) => {
  fail(`${error?.name ?? "Error"}: ${error?.message ?? String(error)}`);
});
