// overlays — the ways out of the journey and the screens over it, through
// the kiosk's page in headless chromium: Cancel on every screen of a
// session (each back at the welcome screen, its session gone); the backend
// stopped at eligibility, retried by a touch while down, then started again
// and retried; the backend slow; the reader gone (pcscd stopped) in a
// session and at the welcome screen, then back; an officer called, resumed
// and ended with `appm staff`; "are you still there?" answered, then left
// unanswered until the session is abandoned — and its personal data is
// then nowhere in the store's files. English first, Bahasa Indonesia for
// the rest (each overlay is shown in both); axe-core on every screen.
//
//   node overlays.mjs URL ARTEFACTS DOCNO DOCNO_CHECK BIRTH BIRTH_CHECK EXPIRY EXPIRY_CHECK
//
// run.sh starts the kiosk with [journey] inactivity.wait-fee = 5 and
// answer = 20 for this script, and exports APPM_VPASS/APPM_VPASS_CTL,
// APPM_BACKEND_URL/APPM_ADMIN_TOKEN, APPM_BACKEND_PID/BIN/ARGS (to stop and
// start it), APPM_STAFF (the `appm staff` command line for this kiosk) and
// APPM_KIOSK_STORE (its SQLite file); the pcscd sandbox exports
// APPM_PCSCD_PID and APPM_PCSCD_CONF.
import { execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { openKiosk } from './kiosk-page.mjs';

const [url, artefacts, docno, docnoCheck, birth, birthCheck, expiry, expiryCheck] = process.argv.slice(2);
const kiosk = await openKiosk(artefacts);
const { page, screen, click } = kiosk;
const { check, vpass, toConsent, toAccessKey } = kiosk;
const staff = (verb) => execSync(`${process.env.APPM_STAFF} ${verb}`, { encoding: 'utf8' });
const contact = { phone: '+62 812 3456 7890', email: 'lestari.renewal@example.id', address: 'Jl. Merdeka 1, Jakarta' };

// The backend stopped (its process gone: nothing listens), and started
// again with the same database and certificate.
let restarted = null;
function stopBackend() {
  process.kill(Number(process.env.APPM_BACKEND_PID), 'SIGTERM');
}
async function startBackend() {
  restarted = spawn(process.env.APPM_BACKEND_BIN, process.env.APPM_BACKEND_ARGS.split(' '), { stdio: ['ignore', 'pipe', 'inherit'] });
  let said = '';
  while (!said.includes('listening')) {
    const [chunk] = await once(restarted.stdout, 'data');
    said += chunk;
  }
}

// pcscd (the sandbox's) stopped: the reader is gone; started again with
// the same reader configuration.
function stopPcscd() {
  process.kill(Number(process.env.APPM_PCSCD_PID), 'SIGTERM');
}
function startPcscd() {
  execSync(`rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid; pcscd --foreground --config ${process.env.APPM_PCSCD_CONF} ` +
           `>/dev/null 2>&1 &`);
}

// Switch the page's language with the header's buttons.
async function language(lang) {
  await page.click(`#languages [data-lang="${lang}"]`);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

// Cancel, and the welcome screen with no session.
async function cancel(from) {
  await page.click('#cancel');
  await screen('wait-touch', `cancelled-at-${from}`);
  const session = await page.evaluate(() => page.state.session);
  check(session === '', `a session is left after Cancel at ${from}`);
  check(!(await page.isVisible('#cancel')), 'Cancel is offered on the welcome screen');
}

const typeKey = () => kiosk.typeKey(docno, docnoCheck, birth, birthCheck, expiry, expiryCheck);

async function toReview(lang) {
  await toAccessKey(lang);
  await typeKey();
  await screen('wait-review');
}

async function toFee(lang) {
  await toReview(lang);
  await page.fill('#f-phone', contact.phone);
  await page.fill('#f-email', contact.email);
  await page.fill('#f-address', contact.address);
  await click('confirm');
  await screen('wait-fee');
}

// Where the store's bytes hold text (the database and its write-ahead log).
function storeHolds(text) {
  const files = [process.env.APPM_KIOSK_STORE, `${process.env.APPM_KIOSK_STORE}-wal`].filter((f) => existsSync(f));
  return files.filter((f) => readFileSync(f).includes(Buffer.from(text)));
}

let error = null;
try {
  await page.goto(url);
  await screen('wait-touch');

  // Cancel on every screen of a session.
  await click('touch');
  await screen('wait-language');
  await cancel('wait-language');
  await toConsent('en');
  await cancel('wait-consent');
  vpass('remove');
  await toConsent('en');
  await click('consent');
  await screen('wait-document');
  await cancel('wait-document');
  vpass('place');
  await toAccessKey('en');
  await cancel('wait-access-key');
  vpass('set', 'link-model', 'on'); // a slow chip: time to see the read and cancel it
  vpass('set', 'chip-latency', '300000');
  await toAccessKey('en');
  await typeKey();
  await screen('wait-chip');
  await cancel('wait-chip');
  vpass('set', 'link-model', 'off');
  await kiosk.backendAdmin('fault', { mode: 'slow:4000' });
  await toAccessKey('en');
  await typeKey();
  await screen('wait-eligibility');
  await cancel('wait-eligibility');
  await kiosk.backendAdmin('fault', { mode: 'none' });
  // A slow typist on a screen that asks after 6 s without input: a key
  // every 2.5 s for 15 s, and nobody asks whether they are still there.
  await toReview('en');
  for (let i = 0; i < 6; i++) {
    await page.type('#f-address', 'J');
    await page.waitForTimeout(2500);
  }
  check((await page.getAttribute('body', 'data-screen')) === 'wait-review', 'a slow typist was asked whether they are still there');
  await cancel('wait-review');
  await toFee('en');
  await cancel('wait-fee');

  // A refusal by the backend: Cancel there too.
  await kiosk.backendAdmin('fault', { mode: 'refuse:lost_or_stolen' });
  await toAccessKey('en');
  await typeKey();
  await screen('wait-refusal-seen');
  await cancel('wait-refusal-seen');
  await kiosk.backendAdmin('fault', { mode: 'none' });

  // The backend down at eligibility: the service screen; a touch on
  // "try again" while it is still down stays there; Cancel leaves.
  stopBackend();
  await toAccessKey('en');
  await typeKey();
  await screen('wait-service', 'backend-down');
  await click('retry');
  await page.waitForTimeout(1000);
  await screen('wait-service', 'still-down');
  await cancel('wait-service');
  // Down again; a touch on the screen (Repeat) must not stop the kiosk
  // asking again by itself (every 3 s here): the backend is back, and
  // the review comes without "try again".
  await toAccessKey('en');
  await typeKey();
  await screen('wait-service', 'backend-down');
  await page.click('#repeat');
  await startBackend();
  await page.waitForSelector('body[data-screen="wait-review"]', { timeout: 20000 });
  await screen('wait-review', 'backend-back');
  // An officer called from the review: the staff see why, and nothing of
  // the holder (their data is on the screen behind).
  const surname = (await page.textContent('#actions dd')).trim();
  await page.click('#officer');
  await screen('wait-officer');
  check(!(await page.isVisible('#cancel')), 'Cancel is offered on the officer screen (the officer decides)');
  await language('id');
  const seen = staff('--json');
  const call = JSON.parse(seen);
  check(call.officer_called === true && call.resume === 'wait-review' && call.why === 'an officer was called',
        `appm staff shows the call and why: ${seen}`);
  check(surname.length > 0 && !seen.includes(surname) && !seen.includes(docno.replace(/</g, '')),
        `appm staff shows no personal data: ${seen}`);
  staff('end');
  await screen('wait-touch', 'officer-ended');

  // An officer called, in Bahasa Indonesia; shown in both languages; the
  // staff resume the session where it was.
  await toConsent('id');
  await page.click('#officer');
  await screen('wait-officer');
  await language('en');
  await screen('wait-officer', 'switched');
  await language('id');
  check(JSON.parse(staff('--json')).resume === 'wait-consent', 'appm staff says where the applicant was');
  staff('resume');
  await screen('wait-consent', 'resumed');
  await cancel('wait-consent');

  // The reader gone (pcscd stopped) in the middle of a session: out of
  // service until it is back, then the journey goes on from the document.
  await toAccessKey('en');
  stopPcscd();
  await screen('wait-devices', 'reader-gone');
  check(!(await page.isVisible('#cancel')), 'Cancel is offered while out of service');
  startPcscd();
  await page.waitForSelector('body[data-screen="wait-access-key"]', { timeout: 30000 });
  await screen('wait-access-key', 'reader-back');
  await cancel('wait-access-key');
  const pcscd = execSync('pgrep -x pcscd', { encoding: 'utf8' }).trim();
  process.env.APPM_PCSCD_PID = pcscd; // the one started again
  stopPcscd();
  await screen('wait-devices', 'reader-gone-at-welcome');
  startPcscd();
  await page.waitForSelector('body[data-screen="wait-touch"]', { timeout: 30000 });

  // Inactivity at the fee (5 s here): "are you still there?", answered;
  // then unanswered for the 20 s it gives, and the session is abandoned.
  await toFee('id');
  check(storeHolds(contact.email).length > 0, 'the session is in the store while it runs');
  await screen('wait-still-there');
  await language('en');
  await screen('wait-still-there', 'switched');
  await language('id');
  await click('still-here');
  await screen('wait-fee', 'still-here');
  await screen('wait-still-there', 'again');
  await cancel('wait-still-there');
  await toFee('id');
  await page.waitForSelector('body[data-screen="wait-still-there"]', { timeout: 30000 });
  const asked = Date.now();
  await screen('wait-still-there', 'again');
  await page.waitForSelector('body[data-screen="wait-touch"]', { timeout: 40000 });
  const waited = (Date.now() - asked) / 1000;
  check(waited >= 19, `the applicant had ${waited} s to answer, at least 20 s is due`);
  await screen('wait-touch', 'abandoned');
  for (const text of [contact.email, contact.phone, docno]) {
    const where = storeHolds(text);
    check(where.length === 0, `after abandon, '${text}' is still in ${where.join(', ')}`);
  }
  console.log(`abandoned after ${waited.toFixed(1)} s unanswered; the store holds none of the session's data`);
} catch (e) {
  error = e;
}
if (restarted) restarted.kill();
process.exit(await kiosk.finish(error));
