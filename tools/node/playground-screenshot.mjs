// Screenshot a Mailroom card in the Microsoft 365 Agents Playground's web UI, with Debian's
// Chromium driven by playwright-core (pinned in package.json; it never downloads a browser).
// Used by tests/e2e/test_playground_browser.py against a running `mailroom dev`.
//
//   node playground-screenshot.mjs --url http://127.0.0.1:N --say "/send from:support ..." \
//       --card "Check before sending" --out build/e2e-screenshots/preview-card.png \
//       [--page-out FILE] [--click Send --then "Sent" --then-out FILE] \
//       [--chromium /usr/bin/chromium] [--timeout 30000]
//
// Opens the UI (the personal chat of the configured current user), types --say into the
// message box and presses Enter, waits for an Adaptive Card whose text contains --card and
// screenshots that card (--out) and the whole window (--page-out). With --click it then
// clicks that button of the card as a person would and waits for a card containing --then.
//
// Only loopback is reached: every request to another host is aborted (the UI asks a CDN for
// its fonts; Chromium falls back to local ones) and the host resolver maps everything else
// to nothing. Prints one JSON object on stdout:
//   {"screenshots": ["..."], "cardText": "...", "blocked": ["https://..."]}
// Exit status: 0 done; 1 the UI did not show what was expected (the reason on stderr and a
// "<out>-failed.png" screenshot beside --out); 2 bad arguments or no browser.

import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

function usage(message) {
  process.stderr.write(`playground-screenshot: ${message}\n`);
  process.exit(2);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      url: { type: "string" },
      say: { type: "string" },
      card: { type: "string" },
      out: { type: "string" },
      "page-out": { type: "string" },
      click: { type: "string" },
      then: { type: "string" },
      "then-out": { type: "string" },
      chromium: { type: "string", default: "/usr/bin/chromium" },
      timeout: { type: "string", default: "30000" },
    },
  }));
} catch (error) {
  usage(error.message);
}
for (const name of ["url", "say", "card", "out"]) {
  if (!options[name]) usage(`--${name} is required`);
}
if (options.click && !options.then) usage("--click needs --then (the text to wait for)");
const base = new URL(options.url);
if (!LOOPBACK.has(base.hostname)) usage(`--url must be on loopback, got ${base.hostname}`);
const timeout = Number(options.timeout);

let chromium;
try {
  ({ chromium } = require("playwright-core"));
} catch {
  usage("playwright-core is not installed: run `npm ci` in tools/node");
}

let browser;
try {
  browser = await chromium.launch({
    executablePath: options.chromium,
    headless: true,
    args: [
      "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
      "--no-proxy-server",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-domain-reliability",
      "--no-first-run",
    ],
  });
} catch (error) {
  usage(`cannot start ${options.chromium}: ${error.message.split("\n")[0]}`);
}

const blocked = [];
const screenshots = [];
const context = await browser.newContext({
  viewport: { width: 1280, height: 1000 },
  deviceScaleFactor: 1,
  locale: "en-GB",
  timezoneId: "UTC",
});
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (["data:", "blob:"].includes(url.protocol) || LOOPBACK.has(url.hostname)) {
    return route.continue();
  }
  blocked.push(url.href);
  return route.abort("blockedbyclient");
});
const page = await context.newPage();
page.setDefaultTimeout(timeout);

function cardWith(text) {
  return page.locator(".ac-adaptiveCard").filter({ hasText: text }).last();
}

async function shoot(locator, file) {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  await locator.screenshot({ path: file, animations: "disabled" });
  screenshots.push(file);
}

let step = "opening the Playground";
try {
  await page.goto(base.href, { waitUntil: "domcontentloaded" });
  step = "waiting for the message box";
  const box = page.locator('[contenteditable="true"][role="textbox"]').first();
  await box.waitFor({ state: "visible" });
  // The UI opens the personal chat and installs the bot: let the welcome card arrive first,
  // so our card is the last one shown.
  step = "waiting for the welcome card";
  await page.locator(".ac-adaptiveCard").first().waitFor({ state: "visible" });
  step = `typing ${JSON.stringify(options.say.slice(0, 40))}`;
  await box.click();
  await box.pressSequentially(options.say);
  await box.press("Enter");
  step = `waiting for a card with ${JSON.stringify(options.card)}`;
  const card = cardWith(options.card);
  await card.waitFor({ state: "visible" });
  await card.scrollIntoViewIfNeeded();
  await shoot(card, options.out);
  if (options["page-out"]) await shoot(page, options["page-out"]);
  const cardText = await card.innerText();
  if (options.click) {
    step = `clicking ${JSON.stringify(options.click)}`;
    await card.getByRole("button", { name: options.click, exact: true }).click();
    step = `waiting for a card with ${JSON.stringify(options.then)}`;
    const after = cardWith(options.then);
    await after.waitFor({ state: "visible" });
    if (options["then-out"]) await shoot(after, options["then-out"]);
  }
  process.stdout.write(JSON.stringify({ screenshots, cardText, blocked }) + "\n");
} catch (error) {
  const failed = options.out.replace(/(\.png)?$/, "-failed.png");
  try {
    mkdirSync(path.dirname(path.resolve(failed)), { recursive: true });
    await page.screenshot({ path: failed, fullPage: true });
  } catch {
    // the page itself is gone: the reason below says enough
  }
  process.stderr.write(
    `playground-screenshot: failed while ${step}: ${error.message.split("\n")[0]}\n` +
      `(screenshot of the window: ${failed})\n`,
  );
  process.exitCode = 1;
} finally {
  await browser.close();
}
