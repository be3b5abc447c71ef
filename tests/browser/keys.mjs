// keys — the access key and the contact details typed only on the page's
// on-screen keyboard, as on a kiosk without a keyboard: every character
// a click on a key (no fill, no keyboard events). In Bahasa Indonesia the
// MRZ: the first field focused, the next one reached when a field is
// full, a wrong check digit and a date that is not one flagged as typed
// (before Continue) with the translation's words, corrected with the
// Delete and Clear keys; the chip read; the review's e-mail flagged once
// left unfinished, then completed. In English, a physical keyboard still
// types; then the CAN: chosen instead of the MRZ, typed on the digit
// keys, kept when the language is switched half-way and through "are you
// still there?" (run.sh asks it after 25 s at the access key), the chip
// read with PACE and the review reached. The keys are at least 48 CSS px
// a side, larger with larger text; the picture highlights the field
// being typed. axe-core on every screen; screenshots.
//
//   node keys.mjs URL ARTEFACTS DOCNO DOCNO_CHECK BIRTH BIRTH_CHECK EXPIRY EXPIRY_CHECK
//
// run.sh exports APPM_CAN, the document's card access number.
import { readFileSync } from 'node:fs';
import { openKiosk } from './kiosk-page.mjs';

const [url, artefacts, docno, docnoCheck, birth, birthCheck, expiry, expiryCheck] = process.argv.slice(2);
const can = process.env.APPM_CAN;
const kiosk = await openKiosk(artefacts);
const { page, screen, click } = kiosk;
const { check } = kiosk;
const strings = {};
for (const lang of ['id', 'en'])
  strings[lang] = JSON.parse(readFileSync(new URL(`../../ui/www/i18n/${lang}.json`, import.meta.url)));
const say = (lang, key, field) => strings[lang][key].replace('{field}', strings[lang]['keyboard.name.' + field]);

// Type on the on-screen keyboard: one click per character; BS and CLR
// are the Delete and Clear keys.
async function tap(...keys) {
  for (const k of keys)
    for (const ch of k === 'BS' || k === 'CLR' || k === 'SP' ? [k] : k)
      await page.click(`.keyboard [data-key="${ch}"]`);
}
const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);
const verdict = (name) => page.evaluate((n) => {
  const p = document.getElementById('v-' + n);
  return { how: p.dataset.verdict, words: p.textContent };
}, name);
const invalid = (id) => page.getAttribute('#' + id, 'aria-invalid');

let error = null;
try {
  await page.goto(url);

  // ---- the MRZ, in Bahasa Indonesia ----
  await kiosk.toAccessKey('id');
  check((await focused()) === 'f-document_number', 'the first field is focused');
  check(await page.isVisible('.keyboard[data-kind="mrz"] [data-key="Q"]'), 'letters for the passport number');
  check(await page.getAttribute('.picture svg', 'aria-label') === strings.id['keyboard.picture_mrz'],
        'the picture is named in the language');
  const small = await page.evaluate(() => [...document.querySelectorAll('.keyboard .key')]
    .map((k) => k.getBoundingClientRect()).filter((r) => r.width < 48 || r.height < 48).length);
  check(small === 0, `every key at least 48 px a side (${small} smaller)`);
  await tap(docno);
  check((await focused()) === 'f-document_number_check', 'a full field moves to its check digit');
  check(await page.isVisible('#hl-document_number_check.active'), 'the picture shows the check digit typed');
  await tap(docnoCheck);
  check((await verdict('document_number')).how === 'right', 'the passport number\'s check digit is right');
  check((await focused()) === 'f-birth_date', 'then the date of birth');
  check(!(await page.isVisible('.keyboard [data-key="Q"]')), 'digits only for a date');
  // A wrong check digit: flagged as typed, in words, before Continue.
  await tap(birth, String((Number(birthCheck) + 1) % 10));
  let v = await verdict('birth_date');
  check(v.how === 'wrong' && v.words.includes(say('id', 'keyboard.check_wrong', 'birth_date')),
        `a wrong check digit flagged in words (${v.words})`);
  check((await invalid('f-birth_date_check')) === 'true', 'the check digit marked invalid');
  await screen('wait-access-key', 'wrong-check-digit-typed');
  await page.click('#f-birth_date_check');
  await tap('BS', birthCheck);
  v = await verdict('birth_date');
  check(v.how === 'right' && v.words.includes(say('id', 'keyboard.check_right', 'birth_date')),
        'the corrected check digit is right');
  check((await invalid('f-birth_date_check')) === 'false', 'no longer marked invalid');
  // A date that is not one: flagged as soon as it is complete.
  check((await focused()) === 'f-expiry_date', 'then the date of expiry');
  check(await page.isVisible('#hl-expiry_date.active'), 'the picture shows the field typed');
  await tap('301345');
  v = await verdict('expiry_date');
  check(v.how === 'wrong' && v.words.includes(say('id', 'keyboard.date_wrong', 'expiry_date')),
        `a month 13 flagged as not a date (${v.words})`);
  check((await invalid('f-expiry_date')) === 'true', 'the date marked invalid');
  await page.click('#f-expiry_date');
  await tap('CLR', expiry, expiryCheck);
  check((await verdict('expiry_date')).how === 'right', 'the date of expiry and its check digit are right');
  check(await page.inputValue('#f-document_number') === docno, 'what was typed is in the fields');
  await click('key');
  await screen('wait-review', 'keyboard');
  check((await focused()) === 'f-phone', 'the review starts at the phone');
  check(await page.isVisible('.keyboard[data-kind="phone"] [data-key="+"]'), 'digits and + for the phone');
  await tap('+6281234567890');
  check((await verdict('phone')).how === 'right', 'the phone number is right');
  await page.click('#f-email');
  await tap('lestari');
  check((await verdict('email')).how === 'hint', 'an e-mail being typed is not yet a fault');
  await page.click('#f-address');
  v = await verdict('email');
  check(v.how === 'wrong' && v.words.includes(strings.id['keyboard.rule.email']), 'an unfinished e-mail flagged once left');
  check((await invalid('f-email')) === 'true', 'the e-mail marked invalid');
  await page.click('#f-email');
  await tap('@example.id');
  check((await verdict('email')).how === 'right', 'the e-mail is right');
  await page.click('#f-address');
  await tap('JL', 'SP', 'MERDEKA', 'SP', '1,', 'SP', 'JAKARTA');
  check(await page.inputValue('#f-address') === 'JL MERDEKA 1, JAKARTA', 'the address typed with spaces');
  check((await verdict('address')).how === 'right', 'the address is right');
  await screen('wait-review', 'typed');
  await click('confirm');
  await screen('wait-fee');
  await page.click('#cancel');
  await screen('wait-touch', 'cancelled');

  // ---- the CAN, in English ----
  check(/^[0-9]{6}$/.test(can || ''), 'run.sh gives the CAN');
  await kiosk.toAccessKey('en');
  // A keyboard plugged in still types, in lower case too.
  await page.keyboard.type(docno.toLowerCase());
  check(await page.inputValue('#f-document_number') === docno, 'a physical keyboard types in capitals');
  check((await focused()) === 'f-document_number_check', 'and moves on when the field is full');
  await page.keyboard.type(docnoCheck);
  check((await verdict('document_number')).how === 'right', 'a check digit typed on it is judged');
  await page.click('[data-mode="can"]');
  check(await page.getAttribute('[data-mode="can"]', 'aria-pressed') === 'true', 'the CAN is chosen');
  check(!(await page.isVisible('#f-document_number')), 'the MRZ fields are put away');
  check((await focused()) === 'f-can', 'the CAN field is focused');
  check(await page.getAttribute('.picture svg', 'aria-label') === strings.en['keyboard.picture_can'],
        'the picture shows where the CAN is');
  check(await page.isVisible('#hl-can.active'), 'the CAN highlighted in the picture');
  // Half typed, the language switched: the choice and the digits stay.
  await tap(can.slice(0, 3));
  await page.click('#languages [data-lang="id"]');
  await page.waitForFunction(() => document.documentElement.lang === 'id');
  check(await page.getAttribute('[data-mode="can"]', 'aria-pressed') === 'true', 'the CAN still chosen in Indonesian');
  check(await page.inputValue('#f-can') === can.slice(0, 3), 'what was typed kept across the switch');
  check(await page.getAttribute('.picture svg', 'aria-label') === strings.id['keyboard.picture_can'],
        'the picture renamed in Indonesian');
  await screen('wait-access-key', 'can-switched');
  await page.click('#languages [data-lang="en"]');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  check((await focused()) === 'f-can', 'the CAN field focused again');
  // Keys typed on the page are no input to the daemon: a slow applicant
  // is asked "are you still there?" (after 25 s here), and on coming
  // back finds what they typed.
  await screen('wait-still-there', 'typing');
  await click('still-here');
  await screen('wait-access-key', 'back');
  check(await page.getAttribute('[data-mode="can"]', 'aria-pressed') === 'true', 'the CAN still chosen after the overlay');
  check(await page.inputValue('#f-can') === can.slice(0, 3), 'what was typed kept across "are you still there?"');
  await tap(can.slice(3));
  // Larger text: larger keys, still on the screen.
  await page.click('#large');
  const keySize = await page.evaluate(() => Math.min(...[...document.querySelectorAll('.keyboard .key')]
    .map((k) => Math.min(k.getBoundingClientRect().width, k.getBoundingClientRect().height))));
  check(keySize >= 64, `larger text, larger keys (${keySize} px)`);
  await screen('wait-access-key', 'can-large');
  await page.click('#large');
  await screen('wait-access-key', 'can');
  await click('key');
  await screen('wait-review', 'can');
  const docnoShown = await page.textContent('#actions dl');
  check(docnoShown.includes(docno.replace(/</g, '')), 'the chip opened with the CAN gives the holder\'s data');
  await page.click('#cancel');
  await screen('wait-touch', 'after-can');
} catch (e) {
  error = e;
}
process.exit(await kiosk.finish(error));
