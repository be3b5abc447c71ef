// kiosk-page — what the browser tests share: headless chromium on the
// kiosk's page (its Content-Security-Policy bypassed only so that the
// test's own axe-core may be injected), and a screen check that waits for
// the screen, saves a screenshot named for it and its language, and counts
// axe-core's serious and critical violations as failures.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');

export async function openKiosk(artefacts) {
  mkdirSync(artefacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  const kiosk = {
    browser, page, failures: 0,
    fail(what) {
      console.log(`failed: ${what}`);
      kiosk.failures++;
    },
    // Wait for screen; screenshot ARTEFACTS/SCREEN-LANG[-TAG].png; axe-core.
    async screen(name, tag) {
      await page.waitForSelector(`body[data-screen="${name}"]`, { timeout: 30000 });
      await page.waitForTimeout(150); // the page's strings are in
      const lang = await page.getAttribute('html', 'lang');
      await page.screenshot({ path: `${artefacts}/${name}-${lang}${tag ? '-' + tag : ''}.png` });
      await page.addScriptTag({ path: axePath });
      const result = await page.evaluate(async () => await window.axe.run(document));
      for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
        console.log(`accessibility (${name}): ${v.impact}: ${v.id}: ${v.help}`);
        kiosk.failures++;
      }
      console.log(`screen: ${name} (${lang})${tag ? ' ' + tag : ''}`);
    },
    click: (action) => page.click(`#actions [data-action="${action}"]`),
    // The three MRZ fields and their check digits, then Continue.
    async typeKey(docno, docnoCheck, birth, birthCheck, expiry, expiryCheck) {
      await page.fill('#f-document_number', docno);
      await page.fill('#f-document_number_check', docnoCheck);
      await page.fill('#f-birth_date', birth);
      await page.fill('#f-birth_date_check', birthCheck);
      await page.fill('#f-expiry_date', expiry);
      await page.fill('#f-expiry_date_check', expiryCheck);
      await kiosk.click('key');
    },
    // A failure's screenshot, then close; the exit code.
    async finish(error) {
      if (error) {
        console.log(`failed: ${error.message}`);
        await page.screenshot({ path: `${artefacts}/failure.png` }).catch(() => {});
        kiosk.failures++;
      }
      await browser.close();
      return kiosk.failures ? 1 : 0;
    },
  };
  return kiosk;
}
