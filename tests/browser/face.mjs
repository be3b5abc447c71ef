// face — the face screen in Debian's chromium, driven by playwright-core,
// with face-host playing the journey's side (still to come): the camera's
// preview shown (640 wide, from 1280x720 frames) and mirrored under the
// oval (68% of the 3:4 portrait's width, eye line 58% from the bottom);
// the prompt changed in place without the stream opened again; prompts
// spoken after the screen's own, at most one every 2 s, only the newest
// of a burst; a retry's reason shown and said with the try's number;
// words instead of the picture when there is no preview, the picture back
// when there is; Indonesian; leaving the screen closes the stream, and
// turning the preview off keeps nothing of the picture. Each view is
// checked with axe-core and saved as a screenshot in ARTEFACTS. The
// page's English words are held back 0.8 s, as on a loaded machine.
//
//   node face.mjs FACE_HOST DOCROOT ARTEFACTS
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { openKiosk } from './kiosk-page.mjs';

const [hostBin, docroot, artefacts] = process.argv.slice(2);
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// The host: a command a line, an answer a line.
const host = spawn(hostBin, [docroot], { stdio: ['pipe', 'pipe', 'inherit'] });
const answers = [];
let waiting = null;
createInterface({ input: host.stdout }).on('line', (l) => {
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(l);
  } else {
    answers.push(l);
  }
});
const answer = () => (answers.length ? Promise.resolve(answers.shift()) : new Promise((r) => { waiting = r; }));
const tell = (command) => {
  host.stdin.write(command + '\n');
  return answer();
};
const port = Number((await answer()).replace(/^port /, ''));

let speak = 1;
let language = 'en';
const publish = (face, screen) => tell('state ' + JSON.stringify({
  session: 's1', screen: screen || 'wait-face', language, step: 4, steps: 8, speak, skipped: [],
  face: screen ? undefined
    : Object.assign({ phase: 'guide', prompt: 'no-face', attempt: 1, attempts: 3, last: null }, face),
}));

const kiosk = await openKiosk(artefacts);
const { page, check } = kiosk;
// The page's words may come late (a loaded machine): nothing may be said
// before they are in (CI saw "lang=null&screen=other" refused and the
// screen's own prompt never played).
// Here the first state comes, then the answer whether speech is there
// (0.4 s late), then the words (0.8 s late).
const late = (ms) => async (route) => {
  await new Promise((r) => setTimeout(r, ms));
  await route.continue();
};
await page.route((u) => u.pathname === '/api/speech' && !u.search, late(400));
await page.route((u) => u.pathname === '/i18n/en.json', late(800));
// The page's requests for the preview and for face prompts, with times.
const streams = [];
const said = [];
page.on('request', (r) => {
  const u = new URL(r.url());
  if (u.pathname === '/api/camera.mjpeg') streams.push(u.search);
  if (u.pathname === '/api/speech' && u.searchParams.get('prompt'))
    said.push({ prompt: u.searchParams.get('prompt'), lang: u.searchParams.get('lang'), at: Date.now() });
});
const text = (selector) => page.textContent(selector).then((s) => s.trim());
const previewShown = () => page.waitForFunction(() => {
  const img = document.querySelector('.face-preview');
  return img && !img.hidden && img.naturalWidth > 0 && document.querySelector('.face-no-preview').hidden;
}, null, { timeout: 10000 });
// A screenshot and axe-core, for a view of the screen the kiosk.screen
// check has seen already (its own spoken prompt is not playing now).
async function look(tag) {
  await page.screenshot({ path: `${artefacts}/wait-face-${language}-${tag}.png` });
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => await window.axe.run(document));
  for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
    kiosk.fail(`accessibility (wait-face ${tag}): ${v.impact}: ${v.id}: ${v.help}`);
  console.log(`screen: wait-face (${language}) ${tag}`);
}
// Until a face prompt is asked for that passes test (20 s at most).
async function waitSaid(test) {
  for (let i = 0; i < 200 && !said.some(test); i++) await page.waitForTimeout(100);
  return said.some(test);
}
let error = null;

try {
  await tell('frames on');
  await publish({});
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.evaluate(() => {
    const a = document.getElementById('prompt');
    a.addEventListener('ended', () => { if (a.src.includes('screen=')) window.screenEndedAt = Date.now(); });
  });
  // A burst of prompts while the screen's own is said: only the last is.
  for (const prompt of ['move-closer', 'centre', 'all-good']) {
    await page.waitForTimeout(200);
    await publish({ prompt });
  }
  await kiosk.screen('wait-face');
  await previewShown();
  const img = await page.evaluate(() => {
    const i = document.querySelector('.face-preview');
    return { w: i.naturalWidth, h: i.naturalHeight, transform: getComputedStyle(i).transform, alt: i.alt };
  });
  check(img.w === 640 && img.h === 360, `the preview is 640x360 (${img.w}x${img.h})`);
  check(img.transform === 'matrix(-1, 0, 0, 1, 0, 0)', `the preview is mirrored (${img.transform})`);
  check(img.alt.length > 10, 'the preview has words for a screen reader');
  const g = await page.evaluate(() => {
    const v = document.querySelector('.face-guide').getBoundingClientRect();
    const o = document.querySelector('.face-oval').getBoundingClientRect();
    return { w: v.width, h: v.height, ow: o.width, cx: o.x + o.width / 2 - v.x, cy: o.y + o.height / 2 - v.y };
  });
  check(Math.abs(g.w / g.h - 0.75) < 0.01, `the view is a 3:4 portrait (${g.w}x${g.h})`);
  check(Math.abs(g.ow / g.w - 0.68) < 0.03, `the oval is 68% of its width (${(g.ow / g.w).toFixed(2)})`);
  check(Math.abs(g.cx / g.w - 0.5) < 0.01, 'the oval is centred');
  check(Math.abs((g.h - g.cy) / g.h - 0.58) < 0.01,
        `the eye line is 58% from the bottom (${((g.h - g.cy) / g.h).toFixed(2)})`);
  check(await text('#face-prompt') === 'Good. Hold still',
        `the newest prompt is shown (${await text('#face-prompt')})`);
  check(await page.getAttribute('#face-prompt', 'aria-live') === 'polite', 'the prompt is read out as it changes');
  check(await text('#face-attempt') === 'Try 1 of 3', 'the try is counted');
  check(await page.isVisible('#cancel') && await page.isVisible('#officer'), 'Cancel and Call an officer are there');
  check(await waitSaid(() => true), 'a face prompt is said after the screen\'s own');
  const screenEnded = await page.evaluate(() => window.screenEndedAt);
  check(screenEnded && said[0].at >= screenEnded - 50, 'the screen\'s own prompt was not cut short');
  check(said.length === 1 && said[0].prompt === 'face.prompt.all-good',
        `of a burst only the newest is said (${said.map((s) => s.prompt).join(', ')})`);
  // Two changes 0.3 s apart, 2 s after that: each said, the second 2 s
  // after the first.
  await page.waitForTimeout(2100);
  await publish({ prompt: 'blink', phase: 'challenge' });
  await page.waitForTimeout(300);
  await publish({ prompt: 'turn-left', phase: 'challenge' });
  check(await waitSaid((s) => s.prompt === 'face.prompt.turn-left'), 'both challenges are said');
  check(said.length === 3 && said[1].prompt === 'face.prompt.blink',
        `blink is said (${said.map((s) => s.prompt).join(', ')})`);
  for (let i = 1; i < said.length; i++)
    check(said[i].at - said[i - 1].at >= 1900,
          `${said[i].prompt} is said 2 s after ${said[i - 1].prompt} (${said[i].at - said[i - 1].at} ms)`);
  check(await text('#face-prompt') === 'Turn your head to your left, then back', 'the challenge is shown');
  check(await page.getAttribute('.face', 'data-phase') === 'challenge', 'the oval shows a challenge');
  check(streams.length === 1, `the prompts did not open the stream again (${streams.length} opened)`);
  await look('challenge');
  // A retry: why, said too, and the try's number; the stream opened again.
  await publish({ phase: 'retry', prompt: 'no-face', last: 'no-match', attempt: 2 });
  await page.waitForFunction(() => document.getElementById('face-retry').textContent.length > 0, null,
                             { timeout: 5000 });
  check(await text('#face-retry') === 'That did not match the passport photo. Let\'s try again.', 'the retry says why');
  check(await text('#face-attempt') === 'Try 2 of 3', 'the second try is counted');
  check(await waitSaid((s) => s.prompt === 'face.retry.no-match'), 'the retry\'s reason is said');
  check(streams.length === 2, `a new try opens the stream again (${streams.length})`);
  await previewShown();
  await look('retry');
  // No preview: words, not a broken picture; then the picture again.
  await tell('frames off');
  await publish({ prompt: 'no-face', attempt: 3 });
  await page.waitForFunction(() => !document.querySelector('.face-no-preview').hidden, null, { timeout: 5000 });
  check(await page.isHidden('.face-preview'), 'no broken picture without a preview');
  check((await text('.face-no-preview')).startsWith('The camera\'s picture cannot be shown'), 'words instead');
  check(await text('#face-retry') === '', 'a new try shows no reason');
  await look('no-preview');
  await tell('frames on');
  await previewShown();
  // In Indonesian: the screen's prompt and the face prompt in its words.
  language = 'id';
  speak++;
  await publish({ prompt: 'move-closer', attempt: 3 });
  await kiosk.screen('wait-face');
  check(await text('#face-prompt') === 'Dekatkan wajah Anda',
        `the prompt in Indonesian (${await text('#face-prompt')})`);
  check(await text('#face-attempt') === 'Percobaan 3 dari 3', 'the try in Indonesian');
  check(await waitSaid((s) => s.lang === 'id' && s.prompt === 'face.prompt.move-closer'),
        'the face prompt is said in Indonesian');
  await previewShown();
  // Leaving the screen closes the stream (the server sees it at the next frame).
  await publish(null, 'wait-review');
  let stats = {};
  for (let i = 0; i < 50; i++) {
    stats = JSON.parse(await tell('stats'));
    if (stats.watchers === 0) break;
    await page.waitForTimeout(100);
  }
  check(stats.watchers === 0, `leaving the screen closes the stream (${stats.watchers} open)`);
  check(stats.width === 640 && stats.height === 360, 'the server encoded 640x360');
  console.log(`preview: ${stats.encoded} frames encoded, ${stats.dropped} dropped (15 a second from 30), ` +
              `last ${stats.bytes} bytes in ${(stats.encode_us / 1000).toFixed(1)} ms`);
  await tell('frames off');
  check(JSON.parse(await tell('stats')).held === 0, 'nothing of the picture is kept once the preview is off');
} catch (e) {
  error = e;
}
host.stdin.end();
process.exit(await kiosk.finish(error));
