// face-step — the journey's camera step end to end, in English: the kiosk
// daemon with a file camera playing devices/camsim's simulated applicant
// (appm-camsim persona: grace_hopper.jpg before a plain wall), the
// challenge fixed to a turn to the left one second after the photo.
//
//   1. the holder (HARTONO's passport, her photo on the chip) turns left
//      when asked: verified, on to the review; the photo and the figures
//      are in the session's store record, and gone once it is cancelled
//   2. an impostor: the same person before LESTARI's passport (the
//      astronaut's photo): "did not match", the try counted
//   3. a printed photo of the holder: "could not see you move", four
//      tries, then the officer's screen; the officer ends it
//   4. a screen replaying a recording of the holder turning right first:
//      "could not see you move"
//
//   node face-step.mjs URL ARTEFACTS DOCNO DOCNO_CHECK BIRTH BIRTH_CHECK EXPIRY EXPIRY_CHECK
//
// run.sh exports APPM_CAMERA_DIR (its link `current` names the sequence
// the camera plays: the test turns it), APPM_OTHER_DOC and
// APPM_OTHER_MRZ (LESTARI's passport and its six MRZ fields),
// APPM_HOLDER_DOC (HARTONO's, to place again), and
// APPM_STAFF, APPM_KIOSK_STORE as for overlays.mjs.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { openKiosk } from './kiosk-page.mjs';

const [url, artefacts, ...holderMrz] = process.argv.slice(2);
const otherMrz = process.env.APPM_OTHER_MRZ.split(' ');
const kiosk = await openKiosk(artefacts);
const { page, screen, check, vpass } = kiosk;
const words = JSON.parse(readFileSync(new URL('../../ui/www/i18n/en.json', import.meta.url)));

// The camera plays what `current` names; a new link is put in place in
// one rename, so the camera never finds it missing.
function play(sequence) {
  const dir = process.env.APPM_CAMERA_DIR;
  symlinkSync(sequence, `${dir}/next`);
  renameSync(`${dir}/next`, `${dir}/current`);
  console.log(`camera: ${sequence}`);
}

function storeHolds(text) {
  const files = [process.env.APPM_KIOSK_STORE, `${process.env.APPM_KIOSK_STORE}-wal`].filter((f) => existsSync(f));
  return files.filter((f) => readFileSync(f).includes(Buffer.from(text))).length > 0;
}

// From the welcome screen to the face screen with these MRZ fields.
async function toFace(mrz) {
  await kiosk.toAccessKey('en');
  await kiosk.typeKey(...mrz);
  await screen('wait-face');
  const preview = await page.$('.face img[data-stream]');
  check(preview !== null, 'the face screen shows the camera preview');
}

// Wait until the face screen shows the text of key (in #id), up to ms.
async function shows(id, key, ms) {
  try {
    await page.waitForFunction(([i, w]) => document.getElementById(i)?.textContent === w, [id, words[key]],
                               { timeout: ms });
    return true;
  } catch (e) {
    return false;
  }
}

let error = null;
try {
  await page.goto(url);

  // 1. The holder.
  play('persona-turn-left');
  await toFace(holderMrz);
  check(await shows('face-prompt', 'face.prompt.turn-left', 20000), 'the holder is asked to turn left');
  await page.screenshot({ path: `${artefacts}/wait-face-en-turn-left.png` });
  await screen('wait-review', 'after-face');
  check(storeHolds('"photo_jpeg"') && storeHolds('"verified"'), 'the photo and the decision join the session');
  await page.click('#cancel');
  await screen('wait-touch', 'after-holder');
  check(!storeHolds('"photo_jpeg"'), 'the photo is wiped with the session');

  // 2. An impostor: the same person, another holder's passport.
  vpass('place', process.env.APPM_OTHER_DOC);
  await toFace(otherMrz);
  check(await shows('face-retry', 'face.retry.no-match', 30000), 'an impostor: "that did not match"');
  await page.screenshot({ path: `${artefacts}/wait-face-en-no-match.png` });
  check((await page.textContent('#face-attempt')).includes('2'), 'the second try is counted');
  await page.click('#cancel');
  await screen('wait-touch', 'after-impostor');

  // 3. A printed photo of the holder: four tries, then the officer.
  vpass('place', process.env.APPM_HOLDER_DOC);
  play('persona-print');
  await toFace(holderMrz);
  check(await shows('face-retry', 'face.retry.not-live', 30000), 'a print: "we could not see you move"');
  await page.screenshot({ path: `${artefacts}/wait-face-en-not-live.png` });
  // four tries of about 8 s with 4 s of words between them
  await page.waitForSelector('body[data-screen="wait-officer"]', { timeout: 90000 });
  await screen('wait-officer', 'after-print');
  execSync(`${process.env.APPM_STAFF} end`);
  await screen('wait-touch', 'after-officer');

  // 4. A screen replaying the holder, who turns right first.
  play('persona-replay');
  await toFace(holderMrz);
  check(await shows('face-retry', 'face.retry.not-live', 30000), 'a replay: "we could not see you move"');
  await page.click('#cancel');
  await screen('wait-touch', 'after-replay');
} catch (e) {
  error = e;
}
process.exit(await kiosk.finish(error));
