// kiosk-page — what the browser tests share: headless chromium on the
// kiosk's page (its Content-Security-Policy bypassed only so that the
// test's own axe-core may be injected; audio allowed to play without a
// touch, as the kiosk's Chromium is started), and a screen check that
// waits for the screen, saves a screenshot named for it and its language,
// counts axe-core's serious and critical violations as failures, and
// checks that the screen's spoken prompt was fetched in that language
// (200, audio/wav) and is playing or has played.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');

export async function openKiosk(artefacts) {
  mkdirSync(artefacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  // Every spoken prompt the page fetched: its query, status and type.
  const prompts = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/speech' && u.search)
      prompts.push({ query: u.search, status: r.status(), type: r.headers()['content-type'] });
  });
  const kiosk = {
    browser, page, prompts, failures: 0,
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
      if (name !== 'wait-touch') await kiosk.prompt(name, lang);
      console.log(`screen: ${name} (${lang})${tag ? ' ' + tag : ''}`);
    },
    // The screen's prompt in lang: fetched (200, audio/wav), in the page's
    // audio element, decoded (a duration) and playing or played.
    async prompt(name, lang) {
      const query = `?lang=${lang}&screen=${name}`;
      try {
        await page.waitForFunction((q) => {
          const a = document.getElementById('prompt');
          return a.src.endsWith('/api/speech' + q) && a.duration > 0 && (!a.paused || a.played.length > 0);
        }, query, { timeout: 10000 });
      } catch (e) {
        kiosk.fail(`the prompt of ${name} in ${lang} did not play`);
        return;
      }
      const answer = prompts.find((p) => p.query === query);
      if (!answer || answer.status !== 200 || answer.type !== 'audio/wav')
        kiosk.fail(`the prompt of ${name} in ${lang}: ${JSON.stringify(answer)}`);
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
      for (const p of prompts.filter((x) => x.status !== 200))
        kiosk.fail(`a prompt refused: ${JSON.stringify(p)}`);
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
