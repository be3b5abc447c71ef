// keys — the page's checks and words without a browser (suite 'ui', run
// by node): keyboard.js's ICAO 9303 check digit (the worked example of
// part 3 and the picture's own MRZ), its YYMMDD dates as lds_date_check
// judges them, and the review's rules as take_review does; the
// translations id and en with the same keys and every key the page asks
// for (the face screen's prompts and retry reasons among them); the face
// guide's oval where a portrait's head goes; the picture with no words in
// it and every part the page marks.
//
//   node keys.mjs WWW_DIR
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';

const www = process.argv[2];
let failures = 0;
function check(ok, what) {
  if (!ok) {
    console.log(`failed: ${what}`);
    failures++;
  }
}

const context = { TextEncoder };
runInNewContext(readFileSync(join(www, 'keyboard.js'), 'utf8'), context);
const k = context.appmKeys;

// ICAO 9303 part 3, appendix: L898902C< 3, 690806 1, 940623 6.
check(k.checkDigit('L898902C<') === 3, 'check digit of L898902C<');
check(k.checkDigit('L898902C') === 3, 'a filler weighs nothing');
check(k.checkDigit('690806') === 1, 'check digit of 690806');
check(k.checkDigit('940623') === 6, 'check digit of 940623');
check(k.checkDigit('l898902c') === -1, 'lower case is not MRZ');
check(k.checkDigit('') === 0, 'nothing sums to 0');
check(k.fieldStatus(true, '690806', '1') === 'right', 'a right date and check digit');
check(k.fieldStatus(true, '690806', '2') === 'wrong', 'a wrong check digit');
check(k.fieldStatus(true, '6908', '1') === 'typing', 'a date being typed says nothing yet');
check(k.fieldStatus(true, '691306', '') === 'not-date', 'month 13 is not a date');
check(k.fieldStatus(false, 'L898902C<', '') === 'typing', 'no verdict before the check digit');
check(k.fieldStatus(false, 'L898902C<', '3') === 'right', 'the passport number and its check digit');

for (const [s, want] of [['000229', 'date'], ['010229', 'not-date'], ['690431', 'not-date'], ['690430', 'date'],
                         ['690100', 'not-date'], ['69', 'incomplete'], ['6a', 'not-date'], ['6901011', 'not-date']])
  check(k.dateStatus(s) === want, `date ${s} is ${want}`);

// take_review: 8 to 20 characters of digits, spaces, + and -, at least 8
// digits; an @ not first with a dot after it, no space, at most 254; an
// address of 5 to 200 bytes.
for (const [v, ok] of [['+6281234567890', true], ['+62 812 3456 7890', true], ['0812-3456', true],
                       ['1234567', false], ['+62 (812) 3456', false], ['123456789012345678901', false]])
  check(k.contact.phone(v) === ok, `phone ${v}`);
for (const [v, ok] of [['lestari@example.id', true], ['@example.id', false], ['lestari@example', false],
                       ['a b@example.id', false], ['lestari.example.id', false]])
  check(k.contact.email(v) === ok, `e-mail ${v}`);
check(k.contact.address('Jl. 1') && !k.contact.address('Jl 1') && !k.contact.address('x'.repeat(201)),
      'address of 5 to 200 characters');
check(!k.contact.address('\u00e9'.repeat(101)), 'an address is counted in bytes, as the daemon counts');

// Every layout types only what its field may hold, has Delete and
// Clear, and at most ten keys a row (what fits beside the form).
const allowed = { mrz: /^[A-Z0-9<]$/, digits: /^[0-9]$/, phone: /^[0-9+]$/, email: /^[a-z0-9@.\-_+]$/,
                  address: /^[A-Z0-9,./-]$/ };
for (const [kind, rows] of Object.entries(k.layouts)) {
  const keys = [];
  for (const row of rows) {
    const inRow = [];
    for (const part of typeof row === 'string' ? [row] : row)
      inRow.push(...(['BS', 'CLR', 'SP'].includes(part) ? [part] : [...part]));
    check(inRow.length <= 10, `layout ${kind}: a row of ${inRow.length} keys`);
    keys.push(...inRow);
  }
  for (const key of keys) check(['BS', 'CLR', 'SP'].includes(key) || allowed[kind].test(key), `layout ${kind}: key ${key}`);
  check(keys.includes('BS') && keys.includes('CLR'), `layout ${kind} has Delete and Clear`);
}
check(k.layouts.address.flat().includes('SP'), 'the address has a space');

// The translations: the same keys, and every key the page builds.
const strings = {};
for (const lang of ['id', 'en']) strings[lang] = JSON.parse(readFileSync(join(www, 'i18n', lang + '.json'), 'utf8'));
const idKeys = Object.keys(strings.id).sort(), enKeys = Object.keys(strings.en).sort();
check(JSON.stringify(idKeys) === JSON.stringify(enKeys),
      `id and en have the same keys (only one has: ${idKeys.filter((x) => !enKeys.includes(x))
        .concat(enKeys.filter((x) => !idKeys.includes(x))).join(', ')})`);
const wanted = new Set();
for (const file of ['app.js', 'keyboard.js', 'speech.js']) {
  const src = readFileSync(join(www, file), 'utf8');
  // Whole keys; one followed by + is a prefix, completed below.
  for (const m of src.matchAll(/\bt\('([a-z_.-]+)'(?!\s*\+)/g)) wanted.add(m[1]);
  for (const m of src.matchAll(/'((?:key|keyboard|review|button)\.[a-z_.-]+)'(?!\s*\+)/g)) wanted.add(m[1]);
}
// The page's fixed elements name theirs in data-i18n and data-i18n-label.
for (const m of readFileSync(join(www, 'index.html'), 'utf8').matchAll(/data-i18n(?:-label)?="([a-z_.-]+)"/g))
  wanted.add(m[1]);
for (const n of ['document_number', 'birth_date', 'expiry_date']) wanted.add('keyboard.name.' + n);
for (const n of ['phone', 'email', 'address']) wanted.add('keyboard.rule.' + n);
for (const n of ['filler', 'at', 'dot', 'dash', 'underscore', 'plus', 'comma', 'slash']) wanted.add('keyboard.key.' + n);
for (const m of ['mrz', 'can']) wanted.add('keyboard.picture_' + m);
// The face screen's prompts (app.js builds face.prompt.ID): the journey's
// challenges and its check besides the quality checks' prompts (their ids
// are checked against hal/face/quality.c by the face suite), and the
// reasons a try failed (face.retry.WHY).
for (const id of ['turn-left', 'turn-right', 'blink', 'checking', 'no-face', 'all-good'])
  wanted.add('face.prompt.' + id);
for (const why of ['no-match', 'not-live', 'no-capture']) wanted.add('face.retry.' + why);
// Every face prompt is a short line, one the page shows large and speaks.
for (const lang of ['id', 'en'])
  for (const [key, words] of Object.entries(strings[lang]))
    if (key.startsWith('face.prompt.')) check(words.length <= 60, `${lang}.json ${key} is short (${words.length})`);
for (const key of wanted)
  for (const lang of ['id', 'en']) check(strings[lang][key] !== undefined, `${lang}.json has ${key}`);

// The face guide: on a 3:4 portrait, an oval about 68% of the width (FQ_HEAD_SHARE),
// centred, its middle on the eye line 58% from the bottom.
const guide = readFileSync(join(www, 'app.js'), 'utf8').match(/const FACE_GUIDE = (\{[^}]*\})/);
check(guide, 'app.js has FACE_GUIDE');
if (guide) {
  const g = runInNewContext('(' + guide[1] + ')');
  check(g.width * 4 === g.height * 3, 'the guide is a 3:4 portrait');
  check(Math.abs((2 * g.rx) / g.width - 0.68) < 0.02, `the oval is 68% of the width (${(2 * g.rx) / g.width})`);
  check(g.cx * 2 === g.width, 'the oval is centred');
  check(Math.abs((g.height - g.cy) / g.height - 0.58) < 0.01,
        `the eye line is 58% from the bottom (${(g.height - g.cy) / g.height})`);
  check(g.ry > g.rx && g.cy - g.ry > 0 && g.cy + g.ry < g.height, 'the oval is a head, upright, inside the portrait');
}

// The picture: only MRZ characters and digits as text, and the parts.
const svg = readFileSync(join(www, 'data-page.svg'), 'utf8');
for (const m of svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g))
  check(/^([A-Z0-9]|&lt;)*$/.test(m[1]), `no words in the picture (${m[1]})`);
for (const part of ['document_number', 'birth_date', 'expiry_date'])
  for (const id of ['hl-' + part, 'hl-' + part + '_check', 'badge-' + part])
    check(svg.includes(`id="${id}"`), `the picture marks ${id}`);
check(svg.includes('id="hl-can"'), 'the picture marks the CAN');
// The picture's own MRZ is right: its check digits are what they show.
const line2 = svg.match(/class="mrz" y="814"[^>]*>([^<]*)<\/text>/)[1].replace(/&lt;/g, '<');
check(line2.length === 44, 'the picture\'s second line has 44 characters');
for (const [a, b] of [[0, 9], [13, 19], [21, 27]])
  check(k.checkDigit(line2.slice(a, b)) === Number(line2[b]), `the picture's check digit at ${b + 1}`);

console.log(failures ? `${failures} failed` : 'ok');
process.exit(failures ? 1 : 0);
