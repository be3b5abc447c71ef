// errors — the journey's error paths through the kiosk's page in headless
// chromium, in Bahasa Indonesia (renewal.mjs runs in English, so every
// screen is seen in both): the language switched mid-way and back; a wrong
// check digit refused on the spot with words; a birth date that does not
// open the chip, then the right key; the document taken away while the
// chip is read, placed again; Cancel at the review; a document the backend
// refuses, with its reason. axe-core on every screen, and its spoken
// prompt heard in the page's language (English after the switch, Bahasa
// Indonesia again after switching back); screenshots.
//
//   node errors.mjs URL ARTEFACTS DOCNO DOCNO_CHECK BIRTH BIRTH_CHECK EXPIRY EXPIRY_CHECK
//
// run.sh exports APPM_VPASS and APPM_VPASS_CTL (the virtual passport's
// control), APPM_BACKEND_URL and APPM_ADMIN_TOKEN (its fault modes), and
// NODE_EXTRA_CA_CERTS (the backend's test CA).
import { openKiosk } from './kiosk-page.mjs';

const [url, artefacts, docno, docnoCheck, birth, birthCheck, expiry, expiryCheck] = process.argv.slice(2);
const kiosk = await openKiosk(artefacts);
const { page, screen, click } = kiosk;
const { check, vpass } = kiosk;

const typeKey = (b, bCheck) => kiosk.typeKey(docno, docnoCheck, b, bCheck, expiry, expiryCheck);

// ICAO 9303's check digit, for a birth date that is not the holder's.
function checkDigit(s) {
  const w = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += (s.charCodeAt(i) - 48) * w[i % 3];
  return String(sum % 10);
}

let error = null;
try {
  await page.goto(url);
  await kiosk.toConsent('id');
  // The language switched mid-way, and back: the same screen, new words.
  const idTitle = await page.textContent('#title');
  await page.click('#languages [data-lang="en"]');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  check((await page.textContent('#title')) !== idTitle, 'the title follows the language');
  await screen('wait-consent', 'switched');
  const repeatEn = await page.textContent('#repeat');
  await page.click('#languages [data-lang="id"]');
  await page.waitForFunction(() => document.documentElement.lang === 'id');
  await kiosk.prompt('wait-consent', 'id');
  check((await page.textContent('#repeat')) !== repeatEn, 'the speech controls follow the language');
  await click('consent');
  await screen('wait-access-key');

  // A wrong check digit: refused on the spot, with words.
  await typeKey(birth, String((Number(birthCheck) + 1) % 10));
  await page.waitForFunction(() => document.getElementById('error').textContent.length > 0);
  check((await page.textContent('#error')).includes('birth_date'), 'the refusal names the field');
  await screen('wait-access-key', 'wrong-check-digit');
  // A birth date with a right check digit that does not open the chip.
  const other = birth.startsWith('9') ? '800101' : '990101';
  await typeKey(other, checkDigit(other));
  await page.waitForTimeout(500);
  await screen('wait-access-key', 'wrong-key');
  // The document taken away while the chip is read, placed again.
  vpass('set', 'remove-after', '4');
  await typeKey(birth, birthCheck);
  await screen('wait-document', 'removed');
  vpass('set', 'remove-after', '0');
  vpass('place');
  await screen('wait-access-key', 'placed-again');
  await typeKey(birth, birthCheck);
  await screen('wait-review');
  // Cancel at the review: back to the welcome screen.
  await page.click('#cancel');
  await screen('wait-touch', 'cancelled');

  // The passport reported lost: the backend's own rule refuses it, and
  // the page gives the reason in the applicant's language.
  await kiosk.backendAdmin('lost', { document_number: docno.replace(/</g, '') }); // fillers are not part of it
  await kiosk.toAccessKey('id');
  await typeKey(birth, birthCheck);
  await screen('wait-refusal-seen');
  const reasons = await page.locator('#actions li').allTextContents();
  check(reasons.length === 1 && /hilang|dicuri/i.test(reasons[0]), `the refusal gives its reason: ${reasons}`);
  await click('finish');
  await screen('wait-touch', 'after-refusal');
} catch (e) {
  error = e;
}
process.exit(await kiosk.finish(error));
