// Walk through Mailroom's cards in the Microsoft 365 Agents Playground's web UI as a person
// would — type, fill in, pick, click, open links — with Debian's Chromium driven by
// playwright-core (it never downloads a browser). Used by tests/e2e/test_guided_send_browser.py
// against a running `mailroom dev`.
//
//   node playground-walk.mjs --url http://127.0.0.1:N --steps '[{"say": "/send"}, ...]' \
//       --failed build/e2e-screenshots/walk-failed.png [--chromium /usr/bin/chromium] \
//       [--viewport 360x740]   (the window's size in CSS pixels; default 1280x1000)
//
// Steps, in order (every "in" names a text of the card to act on: its newest card with it):
//   {"say": "text"}                                type into the message box and press Enter
//   {"wait": "text"}                               wait for a card showing that text
//   {"shot": "file.png", "in": "text"}             screenshot that card
//   {"read": "name", "in": "text"}                 keep the card's visible text under "name"
//   {"fits": "name", "in": "text"}                 keep the card's widths under "name":
//                                                  {scrollWidth, clientWidth, viewport, cardWidth,
//                                                  wider: the elements reaching past the
//                                                  card's right edge (tag, class, text)}
//   {"fill": {"Label": "value"}, "in": "text"}     type into the inputs with those labels
//                                                  (a drop-down list: pick the option)
//   {"selected": "name", "label": "Label", "in": "text"}  keep what the input shows now
//   {"click": "Button", "in": "text"}              click that button of the card
//   {"open": "Button", "in": "text", "shot": "file.png", "name": "page"}
//                                                  click a link button; screenshot the window
//                                                  it opens and keep its address, status,
//                                                  headers and every request it made
//   {"visit": "http://127.0.0.1:N/path", "shot": "file.png", "name": "page"}
//                                                  load a loopback page in a window of its
//                                                  own (e.g. the dev inbox); screenshot it
//                                                  and keep the same facts, plus the text
//                                                  of each frame it shows and why each
//                                                  failed request failed
//
// Only loopback is reached: every request to another host is aborted. Prints one JSON object:
//   {"screenshots": [...], "texts": {...}, "selected": {...}, "pages": {...}, "fits": {...},
//    "blocked": [...]}
// Exit status: 0 done; 1 the UI did not show what was expected (the reason on stderr and a
// screenshot of the window at --failed); 2 bad arguments or no browser.

import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

function usage(message) {
  process.stderr.write(`playground-walk: ${message}\n`);
  process.exit(2);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      url: { type: "string" },
      steps: { type: "string" },
      failed: { type: "string" },
      chromium: { type: "string", default: "/usr/bin/chromium" },
      timeout: { type: "string", default: "30000" },
      viewport: { type: "string", default: "1280x1000" },
    },
  }));
} catch (error) {
  usage(error.message);
}
for (const name of ["url", "steps", "failed"]) {
  if (!options[name]) usage(`--${name} is required`);
}
const base = new URL(options.url);
if (!LOOPBACK.has(base.hostname)) usage(`--url must be on loopback, got ${base.hostname}`);
let steps;
try {
  steps = JSON.parse(options.steps);
} catch (error) {
  usage(`--steps is not JSON: ${error.message}`);
}
if (!Array.isArray(steps)) usage("--steps must be a JSON list");
const timeout = Number(options.timeout);
const size = /^(\d{3,4})x(\d{3,4})$/.exec(options.viewport);
if (!size) usage(`--viewport must be WIDTHxHEIGHT, like 360x740, got ${options.viewport}`);
const viewport = { width: Number(size[1]), height: Number(size[2]) };

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

const result = { screenshots: [], texts: {}, selected: {}, pages: {}, fits: {}, blocked: [] };
const context = await browser.newContext({
  viewport,
  deviceScaleFactor: 1,
  locale: "en-GB",
  timezoneId: "UTC",
});
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (["data:", "blob:"].includes(url.protocol) || LOOPBACK.has(url.hostname)) {
    return route.continue();
  }
  result.blocked.push(url.href);
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
  result.screenshots.push(file);
}

async function visibleCard(text) {
  const card = cardWith(text);
  await card.waitFor({ state: "visible" });
  await card.scrollIntoViewIfNeeded();
  return card;
}

// How the card fits its width: what scrolls sideways, and which elements reach past its right
// edge (a word or a table too wide for a phone).
async function fits(card) {
  return card.evaluate((element) => {
    const edge = element.getBoundingClientRect().right + 1;
    const wider = [];
    for (const child of element.querySelectorAll("*")) {
      const box = child.getBoundingClientRect();
      if (box.width > 0 && box.right > edge) {
        wider.push({
          tag: child.tagName.toLowerCase(),
          class: String(child.className).slice(0, 80),
          text: (child.textContent ?? "").trim().slice(0, 80),
          right: Math.round(box.right),
        });
      }
    }
    return {
      scrollWidth: element.scrollWidth,
      clientWidth: element.clientWidth,
      viewport: window.innerWidth,
      cardWidth: Math.round(element.getBoundingClientRect().width),
      wider: wider.slice(0, 10),
    };
  });
}

async function fill(card, label, value) {
  const field = card.getByLabel(label, { exact: false }).first();
  await field.waitFor({ state: "visible" });
  const tag = await field.evaluate((element) => element.tagName.toLowerCase());
  if (tag === "select") {
    await field.selectOption({ label: value });
  } else {
    await field.fill(value);
  }
}

async function shown(card, label) {
  const field = card.getByLabel(label, { exact: false }).first();
  await field.waitFor({ state: "visible" });
  return field.evaluate((element) =>
    element.tagName.toLowerCase() === "select"
      ? element.options[element.selectedIndex]?.text ?? ""
      : element.value,
  );
}

async function open(card, step) {
  const requests = [];
  // The UI opens an Action.OpenUrl with window.open: note the address it asks for, then
  // load it in a window of our own (a person's click would do the same).
  await page.evaluate(() => {
    window.__mailroomOpened = [];
    window.open = (url) => {
      window.__mailroomOpened.push(String(url));
      return null;
    };
  });
  // Adaptive Cards render an Action.OpenUrl as a button with the role of a link.
  const link = card.getByRole("link", { name: step.open, exact: true });
  const button = card.getByRole("button", { name: step.open, exact: true });
  await link.or(button).first().click();
  await page.waitForFunction(() => window.__mailroomOpened.length > 0);
  const [address] = await page.evaluate(() => window.__mailroomOpened);
  const target = new URL(address);
  if (!LOOPBACK.has(target.hostname)) throw new Error(`the link leaves loopback: ${address}`);
  const opened = await context.newPage();
  const navigation = opened.goto(target.href);
  opened.on("request", (request) => requests.push(request.url()));
  const response = await navigation;
  if (response === null) throw new Error(`no response for ${address}`);
  await opened.waitForLoadState("load");
  if (step.shot) {
    mkdirSync(path.dirname(path.resolve(step.shot)), { recursive: true });
    await opened.screenshot({ path: step.shot, fullPage: true, animations: "disabled" });
    result.screenshots.push(step.shot);
  }
  result.pages[step.name ?? step.open] = {
    url: opened.url(),
    status: response.status(),
    headers: await response.allHeaders(),
    text: await opened.locator("body").innerText(),
    requests: [response.url(), ...requests.filter((url) => url !== response.url())],
  };
  await opened.close();
}

async function visit(step) {
  const target = new URL(step.visit);
  if (!LOOPBACK.has(target.hostname)) throw new Error(`not a loopback page: ${step.visit}`);
  const requests = [];
  const failed = {};
  const opened = await context.newPage();
  opened.on("request", (request) => requests.push(request.url()));
  opened.on("requestfailed", (request) => {
    failed[request.url()] = request.failure()?.errorText ?? "failed";
  });
  const response = await opened.goto(target.href);
  if (response === null) throw new Error(`no response for ${step.visit}`);
  await opened.waitForLoadState("load");
  if (step.shot) {
    mkdirSync(path.dirname(path.resolve(step.shot)), { recursive: true });
    await opened.screenshot({ path: step.shot, fullPage: true, animations: "disabled" });
    result.screenshots.push(step.shot);
  }
  const frames = [];
  for (const frame of opened.frames()) {
    if (frame === opened.mainFrame()) continue;
    frames.push(await frame.locator("body").innerText().catch(() => ""));
  }
  result.pages[step.name ?? step.visit] = {
    url: opened.url(),
    status: response.status(),
    headers: await response.allHeaders(),
    text: await opened.locator("body").innerText(),
    frames,
    requests: [...new Set(requests)],
    failed,
  };
  await opened.close();
}

let doing = "opening the Playground";
try {
  await page.goto(base.href, { waitUntil: "domcontentloaded" });
  doing = "waiting for the message box";
  const box = page.locator('[contenteditable="true"][role="textbox"]').first();
  await box.waitFor({ state: "visible" });
  // A narrow window: the Playground's log panel would cover the chat, as no phone's would.
  // Its own layout does not shrink below about 790 px, so at a phone's width each card is
  // held to that width less 16 px margins either side, as Teams mobile shows a card.
  const hide = page.getByTitle("Hide log panel");
  if (viewport.width < 800) {
    if (await hide.isVisible()) await hide.click();
    const width = viewport.width - 32;
    await page.addStyleTag({
      content: `.ac-adaptiveCard { width: ${width}px !important; max-width: ${width}px !important; }`,
    });
  }
  // The UI opens the personal chat and announces an installation; Mailroom welcomes once per
  // installation, so only the first walk against a running bot sees a welcome card: steps
  // that need one wait for it ({"wait": "Welcome to Mailroom"}).
  for (const step of steps) {
    doing = JSON.stringify(step).slice(0, 160);
    if (step.say !== undefined) {
      await box.click();
      await box.pressSequentially(step.say);
      await box.press("Enter");
      continue;
    }
    if (step.wait !== undefined) {
      await visibleCard(step.wait);
      continue;
    }
    if (step.visit !== undefined) {
      await visit(step);
      continue;
    }
    const card = await visibleCard(step.in);
    if (step.shot !== undefined && step.open === undefined) await shoot(card, step.shot);
    else if (step.read !== undefined) result.texts[step.read] = await card.innerText();
    else if (step.fits !== undefined) result.fits[step.fits] = await fits(card);
    else if (step.fill !== undefined) {
      for (const [label, value] of Object.entries(step.fill)) await fill(card, label, value);
    } else if (step.selected !== undefined) {
      result.selected[step.selected] = await shown(card, step.label);
    } else if (step.click !== undefined) {
      await card.getByRole("button", { name: step.click, exact: true }).click();
    } else if (step.open !== undefined) await open(card, step);
    else throw new Error(`unknown step ${doing}`);
  }
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (error) {
  try {
    mkdirSync(path.dirname(path.resolve(options.failed)), { recursive: true });
    await page.screenshot({ path: options.failed, fullPage: true });
  } catch {
    // the page itself is gone: the reason below says enough
  }
  process.stderr.write(
    `playground-walk: failed at ${doing}: ${error.message.split("\n")[0]}\n` +
      `(screenshot of the window: ${options.failed})\n`,
  );
  process.exitCode = 1;
} finally {
  await browser.close();
}
