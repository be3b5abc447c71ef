// renewal — a complete passport renewal through the kiosk's page in
// Debian's chromium (headless), driven by playwright-core as an applicant
// would: touch, language, consent, the MRZ typed with its check digits, the
// chip read, the review's details, the fee, and the application number.
// Every screen is checked with axe-core (no serious or critical
// violation) and saved as a screenshot in ARTEFACTS.
//
//   node renewal.mjs URL ARTEFACTS DOCNO DOCNO_CHECK BIRTH BIRTH_CHECK EXPIRY EXPIRY_CHECK
//
// Run by run.sh, which starts the simulated reader, the backend and the
// kiosk first. Exit 0 and "application number: ..." on success.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const [url, artefacts, docno, docnoCheck, birth, birthCheck, expiry, expiryCheck] = process.argv.slice(2);
mkdirSync(artefacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
// The page's Content-Security-Policy forbids injected scripts; axe-core is
// the test's, so the test context lets it in.
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
const page = await context.newPage();
let failures = 0;

async function screen(name) {
  await page.waitForSelector(`body[data-screen="${name}"]`, { timeout: 30000 });
  await page.waitForTimeout(150); // the page's strings are in
  await page.screenshot({ path: `${artefacts}/${name}-${await page.getAttribute('html', 'lang')}.png` });
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => await window.axe.run(document));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) {
    console.log(`accessibility (${name}): ${v.impact}: ${v.id}: ${v.help}`);
    failures++;
  }
  console.log(`screen: ${name}`);
}

async function click(action) {
  await page.click(`#actions [data-action="${action}"]`);
}

try {
  await page.goto(url);
  await screen('wait-touch');
  await click('touch');
  await screen('wait-language');
  await click('language-en');
  await screen('wait-consent');
  await click('consent');
  await screen('wait-access-key');
  await page.fill('#f-document_number', docno);
  await page.fill('#f-document_number_check', docnoCheck);
  await page.fill('#f-birth_date', birth);
  await page.fill('#f-birth_date_check', birthCheck);
  await page.fill('#f-expiry_date', expiry);
  await page.fill('#f-expiry_date_check', expiryCheck);
  await click('key');
  await screen('wait-review');
  await page.fill('#f-phone', '+62 812 3456 7890');
  await page.fill('#f-email', 'lestari@example.id');
  await page.fill('#f-address', 'Jl. Merdeka 1, Jakarta');
  await page.selectOption('#f-validity', '10');
  await click('confirm');
  await screen('wait-fee');
  await click('fee-accepted');
  await screen('wait-receipt');
  const number = (await page.textContent('#application-number')).trim();
  if (!number) throw new Error('no application number on the receipt');
  console.log(`application number: ${number}`);
  await click('finish');
  await screen('wait-touch');
} catch (e) {
  console.log(`renewal failed: ${e.message}`);
  await page.screenshot({ path: `${artefacts}/failure.png` }).catch(() => {});
  failures++;
}
await browser.close();
process.exit(failures ? 1 : 0);
