// kiosk-page — what the browser tests share: headless chromium on the
// kiosk's page (its Content-Security-Policy bypassed only so that the
// test's own axe-core may be injected; audio allowed to play without a
// touch, as the kiosk's Chromium is started), and a screen check that
// waits for the screen, saves a screenshot named for it and its language,
// counts axe-core's serious and critical violations as failures, and
// checks that the screen's spoken prompt was fetched in that language
// (200, audio/wav) and is playing or has played. Also the walk to the
// consent and access-key screens, and what run.sh lets a script drive: the
// virtual passport (APPM_VPASS, APPM_VPASS_CTL) and the backend's
// administration (APPM_BACKEND_URL, APPM_ADMIN_TOKEN).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
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
    check: (ok, what) => ok || kiosk.fail(what),
    // The virtual passport's control: place, remove, set OPTION VALUE.
    vpass: (...args) => execFileSync(process.env.APPM_VPASS, ['ctl', process.env.APPM_VPASS_CTL, ...args]),
    // The backend's administration: fault {mode}, lost {document_number}.
    async backendAdmin(what, body) {
      const r = await fetch(`${process.env.APPM_BACKEND_URL}/admin/${what}`, {
        method: 'POST', body: JSON.stringify(body),
        headers: { Authorization: `Bearer ${process.env.APPM_ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      });
      kiosk.check(r.ok, `the backend's ${what} ${JSON.stringify(body)}`);
    },
    // From the welcome screen to the privacy notice, in lang.
    async toConsent(lang) {
      await kiosk.screen('wait-touch');
      await kiosk.click('touch');
      await kiosk.screen('wait-language');
      await kiosk.click(`language-${lang}`);
      await kiosk.screen('wait-consent');
    },
    // ... and on to the access key (the document on the reader).
    async toAccessKey(lang) {
      await kiosk.toConsent(lang);
      await kiosk.click('consent');
      await kiosk.screen('wait-access-key');
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
