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
import { openKiosk } from './kiosk-page.mjs';

const [url, artefacts, docno, docnoCheck, birth, birthCheck, expiry, expiryCheck] = process.argv.slice(2);
const kiosk = await openKiosk(artefacts);
const { page, screen, click } = kiosk;
let error = null;

try {
  await page.goto(url);
  await screen('wait-touch');
  await click('touch');
  await screen('wait-language');
  await click('language-en');
  await screen('wait-consent');
  await click('consent');
  await screen('wait-access-key');
  await kiosk.typeKey(docno, docnoCheck, birth, birthCheck, expiry, expiryCheck);
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
  error = e;
}
process.exit(await kiosk.finish(error));
