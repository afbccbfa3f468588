// node consent.mjs AUTHORIZE_URL REDIRECT_URI SCREENSHOT USERNAME PASSWORD UNTICK
//
// Opens Toolgate's consent page for AUTHORIZE_URL in Debian's headless
// Chromium (never a browser of playwright's own), reads what it shows,
// saves a screenshot of it to SCREENSHOT, clears the UNTICK scope's box,
// signs in as USERNAME and clicks Allow, then waits for the browser to land
// on REDIRECT_URI. Prints what it saw as JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
if (argv.length !== 6) {
  process.stderr.write('usage: node consent.mjs AUTHORIZE_URL REDIRECT_URI SCREENSHOT USERNAME PASSWORD UNTICK\n');
  process.exit(2);
}
const [authorizeUrl, redirectUri, screenshot, username, password, untick] = argv;

// A fresh profile, and nothing that reaches past loopback on its own.
const profile = mkdtempSync(join(tmpdir(), 'toolgate-chromium-'));
const out = {};
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 800, height: 720 },
    deviceScaleFactor: 1,
    timeout: 30000,
  });
  out.browserVersion = context.browser()?.version() ?? null;
  const page = context.pages()[0] ?? (await context.newPage());
  const response = await page.goto(authorizeUrl, { waitUntil: 'load' });
  out.status = response?.status() ?? null;
  out.title = await page.title();
  const text = async (sel) => ((await page.locator(sel).count()) > 0 ? (await page.locator(sel).textContent()).trim() : null);
  out.shown = {
    clientName: await text('#client-name'),
    clientId: await text('#client-id'),
    redirectHost: await text('#redirect-host'),
    resource: await text('#resource'),
    error: await text('#error'),
  };
  out.scopes = await page.$$eval('input[type=checkbox][name=scope]', (boxes) =>
    boxes.map((b) => ({ id: b.id, name: b.value, checked: b.checked, label: b.closest('label')?.textContent.trim() ?? null })),
  );
  const box = await page.locator('#consent-form').boundingBox();
  out.formBox = box && { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) };
  await page.screenshot({ path: screenshot, fullPage: true });
  out.screenshot = screenshot;

  const id = '#scope-' + untick.replace(/[^A-Za-z0-9]/g, '-');
  await page.uncheck(id);
  await page.fill('#username', username);
  await page.fill('#password', password);
  out.ticked = await page.$$eval('input[name=scope]:checked', (boxes) => boxes.map((b) => b.value));
  await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectUri), { timeout: 15000 }), page.click('#approve')]);
  out.landedOn = page.url();
  out.landedText = (await page.locator('body').textContent()).trim();
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
} catch (err) {
  out.error = String(err?.stack ?? err);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.exitCode = 1;
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
