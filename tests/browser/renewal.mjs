// renewal — a complete passport renewal through the kiosk's page in
// Debian's chromium (headless), driven by playwright-core as an applicant
// would: touch, language, consent, the MRZ typed with its check digits, the
// chip read, the photo (the camera plays a simulated applicant, who turns
// the head when asked), the review's details, the fee, and the
// application number.
// Every screen is checked with axe-core (no serious or critical
// violation), its spoken prompt heard in English, and saved as a
// screenshot in ARTEFACTS; Repeat plays the prompt again from the start,
// Quieter and Louder set the volume for the session, and the welcome
// screen puts it back.
//
//   node renewal.mjs URL ARTEFACTS DOCNO DOCNO_CHECK BIRTH BIRTH_CHECK EXPIRY EXPIRY_CHECK
//
// Run by run.sh, which starts the simulated reader, the backend and the
// kiosk first. Exit 0 and "application number: ..." on success.
import { openKiosk } from './kiosk-page.mjs';

const [url, artefacts, docno, docnoCheck, birth, birthCheck, expiry, expiryCheck] = process.argv.slice(2);
const kiosk = await openKiosk(artefacts);
const { page, screen, click } = kiosk;
const { check } = kiosk;
const volume = () => page.evaluate(() => document.getElementById('prompt').volume);
const near = (a, b) => Math.abs(a - b) < 0.001;
let error = null;

try {
  await page.goto(url);
  // "Touch the screen to start": anywhere on it, not only the button.
  await screen('wait-touch');
  await page.click('#screen', { position: { x: 700, y: 250 } });
  await screen('wait-language');
  await click('language-en');
  await screen('wait-consent');
  // Repeat: the prompt again, from the start, once it has played a while.
  await page.evaluate(() => {
    window.promptPlays = 0;
    document.getElementById('prompt').addEventListener('play', () => window.promptPlays++);
  });
  await page.waitForFunction(() => document.getElementById('prompt').currentTime > 1, null, { timeout: 10000 });
  const before = await page.evaluate(() => document.getElementById('prompt').currentTime);
  await page.click('#repeat');
  await page.waitForFunction(() => window.promptPlays > 0, null, { timeout: 5000 });
  const after = await page.evaluate(() => document.getElementById('prompt').currentTime);
  check(after < before, `Repeat starts the prompt again (it was at ${before} s, then ${after} s)`);
  console.log(`repeat: the prompt was at ${before.toFixed(1)} s, then ${after.toFixed(1)} s`);
  // The volume: 3 of 5 at first; Louder to the top (then disabled), Quieter.
  check(near(await volume(), 0.6), `the volume starts at 0.6 (${await volume()})`);
  await page.click('#louder');
  check(near(await volume(), 0.8), `Louder: 0.8 (${await volume()})`);
  await page.click('#louder');
  check(near(await volume(), 1) && (await page.isDisabled('#louder')), 'Louder to the top, then disabled');
  for (let i = 0; i < 3; i++) await page.click('#quieter');
  check(near(await volume(), 0.4), `Quieter three times: 0.4 (${await volume()})`);
  check((await page.textContent('#volume')) === 'Volume 2 of 5', 'the volume is shown in words');
  await click('consent');
  await screen('wait-access-key');
  check(near(await volume(), 0.4), 'the volume is kept from screen to screen');
  await kiosk.typeKey(docno, docnoCheck, birth, birthCheck, expiry, expiryCheck);
  // The photo: the simulated applicant (run.sh) turns left when asked.
  await screen('wait-face');
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
  // The session is over: its volume with it, and no speech controls.
  check(near(await volume(), 0.6), `the welcome screen puts the volume back (${await volume()})`);
  check(await page.isHidden('#speech'), 'no speech controls on the welcome screen');
} catch (e) {
  error = e;
}
process.exit(await kiosk.finish(error));
