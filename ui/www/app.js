// The kiosk's page: shows the state the daemon pushes (Server-Sent
// Events), in the applicant's language, and posts the applicant's
// actions back; the daemon's state machine decides what they do. No
// string is written here: every one comes from /i18n/LANG.json.
'use strict';

const page = { state: null, strings: {}, lang: null, error: '' };

async function loadStrings(lang) {
  if (page.lang === lang) return;
  const r = await fetch('/i18n/' + lang + '.json');
  page.strings = await r.json();
  page.lang = lang;
  document.documentElement.lang = lang;
}

function t(key, values) {
  let s = page.strings[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(values || {})) s = s.replace('{' + k + '}', v);
  return s;
}

// Post an action; a refusal's words are shown until the next state.
async function post(action, extra, quiet) {
  if (!page.state) return;
  const body = Object.assign({ session: page.state.session, action: action }, extra || {});
  const r = await fetch('/api/action', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                         body: JSON.stringify(body) });
  if (!r.ok && !quiet) {
    const answer = await r.json().catch(() => ({}));
    page.error = answer.error || t('error.generic');
    showError();
  }
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(labelKey, action, extra) {
  const b = el('button', { type: 'button', 'data-action': action }, t(labelKey));
  b.addEventListener('click', () => post(action, typeof extra === 'function' ? extra() : extra));
  return b;
}

// A labelled text field for a form.
function field(name, labelKey, attrs) {
  const id = 'f-' + name;
  const wrap = el('div', { class: 'field' });
  wrap.append(el('label', { for: id }, t(labelKey)));
  wrap.append(el('input', Object.assign({ id: id, name: name, autocomplete: 'off' }, attrs || {})));
  return wrap;
}

function value(name) {
  const e = document.getElementById('f-' + name);
  return e ? e.value.trim().toUpperCase() : '';
}

function showError() {
  document.getElementById('error').textContent = page.error;
}

// ---- typing on the on-screen keyboard (keyboard.js) ----

// What a check says under its field, in words (read out: aria-live), with
// a mark for the eye: how is 'right', 'wrong', 'hint' or '' (nothing).
function verdictLine(name) {
  return el('p', { class: 'verdict', id: 'v-' + name, 'aria-live': 'polite' });
}

function setVerdict(name, how, words) {
  const p = document.getElementById('v-' + name);
  p.dataset.verdict = how;
  const mark = { right: '\u2713 ', wrong: '\u2717 ' }[how];
  p.replaceChildren(...(mark ? [el('span', { 'aria-hidden': 'true' }, mark)] : []), words || '');
}

// The photo page with the part being typed highlighted; its name for
// screen readers follows the choice of MRZ or CAN.
function pictureBox() {
  const box = el('div', { class: 'picture' });
  const show = { mode: 'mrz', part: null };
  const apply = () => {
    box.className = 'picture mode-' + show.mode;
    const svg = box.querySelector('svg');
    if (!svg) return;
    svg.setAttribute('aria-label', t('keyboard.picture_' + show.mode));
    // The half of the page that matters, larger: the CAN's top, the MRZ's bottom.
    svg.setAttribute('viewBox', show.mode === 'can' ? '0 0 1250 620' : '0 330 1250 620');
    for (const e of svg.querySelectorAll('.active')) e.classList.remove('active');
    const part = show.part && svg.querySelector('#hl-' + show.part);
    if (part) part.classList.add('active');
  };
  appmKeys.picture().then((svg) => { if (svg) box.append(svg); apply(); }).catch(() => {});
  return { element: box, show: (mode, part) => { Object.assign(show, { mode, part }); apply(); } };
}

// The MRZ's three fields, each with its check digit; or the CAN.
const MRZ_FIELDS = [['document_number', 'key.document_number', 'mrz', 9],
                    ['birth_date', 'key.birth_date', 'digits', 6],
                    ['expiry_date', 'key.expiry_date', 'digits', 6]];

function judgeMrzField(name) {
  const v = document.getElementById('f-' + name), c = document.getElementById('f-' + name + '_check');
  const status = appmKeys.fieldStatus(name !== 'document_number', v.value, c.value);
  const words = { 'not-date': 'keyboard.date_wrong', right: 'keyboard.check_right', wrong: 'keyboard.check_wrong' }[status];
  setVerdict(name, status === 'right' ? 'right' : words ? 'wrong' : '',
             words ? t(words, { field: t('keyboard.name.' + name) }) : '');
  v.setAttribute('aria-invalid', String(status === 'not-date'));
  c.setAttribute('aria-invalid', String(status === 'wrong'));
  c.dataset.verdict = status === 'right' || status === 'wrong' ? status : '';
}

function accessKeyScreen(box) {
  let mode = 'mrz';
  const form = el('div', { class: 'entry-form' });
  const choice = el('div', { class: 'choice', role: 'group', 'aria-labelledby': 'choice-question' });
  choice.append(el('p', { id: 'choice-question' }, t('keyboard.choose')));
  const hint = el('p', { class: 'hint' });
  const mrz = el('div', { id: 'mrz-fields' });
  MRZ_FIELDS.forEach(([name, label, kind, size], i) => {
    const row = el('div', { class: 'mrz-row' });
    const main = field(name, label, { maxlength: String(size), size: String(size + 1), 'data-kind': kind,
                                      'aria-describedby': 'v-' + name });
    main.querySelector('label').prepend(el('span', { class: 'badge', 'aria-hidden': 'true' }, String(i + 1)));
    const check = field(name + '_check', 'key.check_digit', {
      maxlength: '1', size: '2', 'data-kind': 'digits', 'aria-describedby': 'v-' + name,
      'aria-label': t('keyboard.check_of', { field: t('keyboard.name.' + name) }) });
    check.classList.add('check');
    row.append(main, check, verdictLine(name));
    mrz.append(row);
  });
  const can = el('div', { id: 'can-fields' });
  can.append(field('can', 'key.can', { maxlength: '6', size: '7', 'data-kind': 'digits' }));
  const go = button('button.continue', 'key', () => (mode === 'can' ? { can: value('can') } : {
    document_number: value('document_number'), document_number_check: value('document_number_check'),
    birth_date: value('birth_date'), birth_date_check: value('birth_date_check'),
    expiry_date: value('expiry_date'), expiry_date_check: value('expiry_date_check') }));
  const picture = pictureBox();
  const inputs = [...mrz.querySelectorAll('input'), ...can.querySelectorAll('input')];
  const kb = appmKeys.create(t, inputs, (f) => {
    if (f.name !== 'can') judgeMrzField(f.name.replace(/_check$/, ''));
  }, (f) => picture.show(mode, f.name));
  const modes = {};
  const choose = (m) => {
    mode = m;
    for (const [k, b] of Object.entries(modes)) b.setAttribute('aria-pressed', String(k === m));
    mrz.hidden = m !== 'mrz';
    can.hidden = m !== 'can';
    hint.textContent = t(m === 'mrz' ? 'key.where' : 'keyboard.can_where');
    picture.show(m, null);
    kb.focusFirst();
  };
  for (const [m, label] of [['mrz', 'keyboard.use_mrz'], ['can', 'keyboard.use_can']]) {
    modes[m] = el('button', { type: 'button', class: 'mode', 'data-mode': m }, t(label));
    modes[m].addEventListener('click', () => choose(m));
    choice.append(modes[m]);
  }
  form.append(choice, hint, mrz, can, go);
  const aids = el('div', { class: 'entry-aids' });
  aids.append(picture.element, kb.element);
  box.append(el('div', { class: 'entry' }));
  box.lastChild.append(form, aids);
  choose('mrz');
}

// The review's contact details, judged as typed by the daemon's rules: a
// rule is a hint while its field is typed, a fault once it is left.
const CONTACT_FIELDS = [['phone', 'review.phone', 'phone', 20], ['email', 'review.email', 'email', 254],
                        ['address', 'review.address', 'address', 200]];

function contactEntry(box, lead) {
  const form = el('div', { class: 'entry-form' });
  form.append(...lead);
  for (const [name, label, kind, size] of CONTACT_FIELDS) {
    form.append(field(name, label, { maxlength: String(size), 'data-kind': kind, 'aria-describedby': 'v-' + name }),
                verdictLine(name));
  }
  const inputs = [...form.querySelectorAll('input')];
  const kb = appmKeys.create(t, inputs, (f) => {
    const v = f.value.trim();
    const label = CONTACT_FIELDS.find((x) => x[0] === f.name)[1];
    const ok = appmKeys.contact[f.name](v);
    const how = !v ? '' : ok ? 'right' : f === kb.target() ? 'hint' : 'wrong';
    setVerdict(f.name, how, !v ? '' : ok ? t('keyboard.looks_right', { field: t(label) }) : t('keyboard.rule.' + f.name));
    f.setAttribute('aria-invalid', String(how === 'wrong'));
  });
  const years = el('select', { id: 'f-validity', 'aria-label': t('review.validity') });
  for (const y of [10, 5]) years.append(el('option', { value: String(y) }, t('review.years', { n: y })));
  form.append(years);
  form.append(button('button.confirm', 'confirm', () => ({
    phone: document.getElementById('f-phone').value.trim(), email: document.getElementById('f-email').value.trim(),
    address: document.getElementById('f-address').value.trim(),
    validity_years: Number(document.getElementById('f-validity').value) })));
  const aids = el('div', { class: 'entry-aids' });
  aids.append(kb.element);
  box.append(el('div', { class: 'entry' }));
  box.lastChild.append(form, aids);
  kb.focusFirst();
}

// What was typed on a screen survives an overlay ("are you still
// there?", an officer called) and a change of language; not another
// screen or session. Typed back through the fields' own input events, so
// the checks speak again and the first field not full is the one typed.
const OVERLAYS = ['wait-still-there', 'wait-officer'];

function keepTyped(box) {
  const inputs = box.querySelectorAll('input[data-kind]');
  if (!inputs.length || !page.shown) return;
  const mode = box.querySelector('[data-mode][aria-pressed="true"]');
  page.typed = Object.assign({ mode: mode && mode.dataset.mode, values: [...inputs].map((f) => [f.id, f.value]) },
                             page.shown);
}

function restoreTyped(box, st) {
  const typed = page.typed;
  page.shown = { session: st.session, screen: st.screen };
  if (!typed || (typed.screen !== st.screen && OVERLAYS.includes(st.screen))) return;
  page.typed = null;
  if (typed.session !== st.session || typed.screen !== st.screen) return;
  const mode = typed.mode && box.querySelector(`[data-mode="${typed.mode}"]`);
  if (mode) mode.click();
  for (const [id, v] of typed.values) {
    const f = document.getElementById(id);
    if (!f || !v) continue;
    f.value = v;
    f.dispatchEvent(new Event('input', { bubbles: true }));
  }
}

// ---- the face screen: the camera's preview, the oval, one prompt ----

// The oval the head should fill, on a 3:4 portrait (300 x 400): about
// 68% of its width (hal/face/quality.h FQ_HEAD_SHARE: the head the photo
// is cropped to), centred, its middle on the eye line 58% from the
// bottom (eyes are about halfway between chin and crown).
const FACE_GUIDE = { width: 300, height: 400, cx: 150, cy: 168, rx: 102, ry: 138 };
const PREVIEW_RETRY_MS = 500;
const PREVIEW_FAILS_SHOWN = 3;

function svgEl(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

// The oval, with what is outside it dimmed (a rectangle with the oval cut out).
function faceGuide() {
  const g = FACE_GUIDE;
  const svg = svgEl('svg', { class: 'face-guide', viewBox: `0 0 ${g.width} ${g.height}`, 'aria-hidden': 'true',
                             focusable: 'false' });
  const oval = `M${g.cx - g.rx} ${g.cy}a${g.rx} ${g.ry} 0 1 0 ${2 * g.rx} 0a${g.rx} ${g.ry} 0 1 0 ${-2 * g.rx} 0Z`;
  svg.append(svgEl('path', { class: 'face-dim', d: `M0 0H${g.width}V${g.height}H0Z` + oval, 'fill-rule': 'evenodd' }));
  svg.append(svgEl('ellipse', { class: 'face-oval', cx: g.cx, cy: g.cy, rx: g.rx, ry: g.ry }));
  return svg;
}

// The preview, shown like a mirror (CSS), as the applicant expects; words
// instead when there is none. The daemon may turn it on a moment after
// the screen shows, or again for a new try: asked again until it comes.
function facePreview() {
  const view = el('div', { class: 'face-view' });
  const img = el('img', { class: 'face-preview', alt: t('face.preview'), 'data-stream': '' });
  const none = el('p', { class: 'face-no-preview' }, t('face.no_preview'));
  none.hidden = true;
  let tries = 0, failed = 0;
  const show = (shown) => {
    img.hidden = !shown;
    view.querySelector('.face-guide').style.visibility = shown ? '' : 'hidden';
    none.hidden = shown;
  };
  img.addEventListener('load', () => {
    failed = 0;
    show(true);
  });
  // The first frame may come a moment after the screen (the camera
  // starting): words only once the picture has failed a few times.
  img.addEventListener('error', () => {
    if (++failed >= PREVIEW_FAILS_SHOWN) show(false);
    setTimeout(() => {
      if (img.isConnected && img.dataset.stream !== undefined) img.src = '/api/camera.mjpeg?try=' + ++tries;
    }, PREVIEW_RETRY_MS);
  });
  view.append(img, faceGuide(), none);
  img.src = '/api/camera.mjpeg';
  return view;
}

// A stream the page no longer shows is closed, not left to the server.
function stopPreviews(box) {
  for (const img of box.querySelectorAll('img[data-stream]')) {
    delete img.dataset.stream;
    img.removeAttribute('src');
  }
}

function faceScreen(box) {
  const face = el('div', { class: 'face' });
  const words = el('div', { class: 'face-words' });
  words.append(el('p', { class: 'face-prompt', id: 'face-prompt', 'aria-live': 'polite', 'aria-atomic': 'true' }),
               el('p', { class: 'face-retry', id: 'face-retry', role: 'status' }),
               el('p', { class: 'face-attempt', id: 'face-attempt' }));
  face.append(facePreview(), words);
  box.append(face);
  faceUpdate(box);
}

// The state's face object, shown in place (the preview goes on): the
// prompt, on a retry why the last try failed, the try's number.
function faceUpdate(box) {
  const f = page.state.face || {};
  const face = box.querySelector('.face');
  if (!face) return;
  const known = (key) => (page.strings[key] !== undefined ? t(key) : '');
  const set = (id, text) => {
    const e = document.getElementById(id);
    if (e.textContent !== text) e.textContent = text; // unchanged words are not read out again
  };
  face.dataset.phase = f.phase || 'guide';
  set('face-prompt', f.prompt ? known('face.prompt.' + f.prompt) : '');
  set('face-retry', f.phase === 'retry' && f.last ? known('face.retry.' + f.last) : '');
  set('face-attempt', f.attempts > 1 && f.attempt ? t('face.attempt', { n: f.attempt, total: f.attempts }) : '');
  // A new try: the daemon may have turned the preview off and on again.
  const img = face.querySelector('img[data-stream]');
  if (img && face.dataset.attempt !== undefined && face.dataset.attempt !== String(f.attempt))
    img.src = '/api/camera.mjpeg?attempt=' + f.attempt;
  face.dataset.attempt = String(f.attempt);
}

// What each screen shows besides its title and instruction.
const screens = {
  'wait-touch': (box) => box.append(button('button.start', 'touch')),
  'wait-language': (box) => {
    for (const [lang, label] of [['id', 'Bahasa Indonesia'], ['en', 'English']]) {
      const b = el('button', { type: 'button', lang: lang, 'data-action': 'language-' + lang }, label);
      b.addEventListener('click', () => post('language', { value: lang }));
      box.append(b);
    }
  },
  'wait-consent': (box) => box.append(button('button.consent', 'consent')),
  'wait-access-key': accessKeyScreen,
  'wait-chip': (box) => {
    const p = page.state.progress || { done: 0, total: 0 };
    const bar = el('progress', { max: String(p.total || 1), value: String(p.done), 'aria-label': t('chip.progress') });
    box.append(bar);
  },
  'wait-review': (box) => {
    const h = page.state.holder || {};
    const dl = el('dl');
    for (const [k, label] of [['surname', 'review.surname'], ['given_names', 'review.given_names'],
                              ['nationality', 'review.nationality'], ['document_number', 'review.document_number'],
                              ['expiry_date', 'review.expiry_date']]) {
      dl.append(el('dt', {}, t(label)), el('dd', {}, (h[k] || '').replace(/</g, ' ').trim()));
    }
    const lead = [dl];
    for (const skipped of page.state.skipped || []) lead.push(el('p', { class: 'skipped' }, t('skipped.' + skipped)));
    contactEntry(box, lead);
  },
  'wait-fee': (box) => {
    const f = page.state.fee || {};
    box.append(el('p', { class: 'fee' }, t('fee.amount', { amount: (f.amount || 0).toLocaleString('id-ID'),
                                                           years: f.validity_years || '' })));
    box.append(button('button.pay', 'fee-accepted'));
  },
  'wait-receipt': (box) => {
    box.append(el('p', { class: 'number', id: 'application-number' }, page.state.application_number || ''));
    for (const skipped of page.state.skipped || []) box.append(el('p', { class: 'skipped' }, t('skipped.' + skipped)));
    box.append(button('button.finish', 'finish'));
  },
  'wait-refusal-seen': (box) => {
    const ul = el('ul');
    for (const r of page.state.reasons || []) ul.append(el('li', {}, page.lang === 'en' ? r.en : r.id));
    box.append(ul);
    box.append(button('button.finish', 'finish'));
  },
  'wait-face': faceScreen,
  'wait-still-there': (box) => box.append(button('button.still_here', 'still-here')),
  'wait-service': (box) => box.append(button('button.retry', 'retry')),
};

function render() {
  const st = page.state;
  const screen = st.screen;
  const known = page.strings['screen.' + screen + '.title'] !== undefined;
  const key = 'screen.' + (known ? screen : 'other');
  document.title = t('page.title');
  document.body.dataset.screen = screen;
  document.getElementById('title').textContent = t(key + '.title');
  document.getElementById('instruction').textContent = t(key + '.instruction');
  document.getElementById('step').textContent = st.step ? t('step', { n: st.step, total: st.steps }) : '';
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
  speechControls(screen);
  const inSession = screen !== 'wait-touch' && screen !== 'wait-devices';
  // The officer decides on their screen: no Cancel (a document may be
  // held for a reason) and no second call.
  document.getElementById('help').hidden = !inSession || screen === 'wait-officer';
  document.getElementById('languages').hidden = !inSession || screen === 'wait-language';
  const box = document.getElementById('actions');
  keepTyped(box);
  stopPreviews(box);
  box.replaceChildren();
  if (screens[screen]) screens[screen](box);
  restoreTyped(box, st);
  page.error = '';
  showError();
}

// States are taken one after another in the order they came, each once
// the words of its language are in: page.state is never a state whose
// words are still loading, so nothing is shown or said without them.
let statesTaken = Promise.resolve();

function onState(ev) {
  const state = JSON.parse(ev.data);
  statesTaken = statesTaken.then(() => takeState(state))
    .catch((e) => console.error('a state could not be shown:', e));
}

async function takeState(state) {
  await loadStrings(state.language || 'id');
  const previous = page.state;
  page.state = state;
  // Typing is not interrupted by a progress update of the same screen,
  // nor the face screen's preview by a new prompt.
  if (!previous || previous.screen !== page.state.screen || page.state.screen === 'wait-chip' ||
      previous.language !== page.state.language || previous.session !== page.state.session)
    render();
  else if (page.state.screen === 'wait-face')
    faceUpdate(document.getElementById('actions'));
  speechOnState(page.state);
}

document.addEventListener('DOMContentLoaded', () => {
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => post('language', { value: b.dataset.lang }));
  for (const b of document.querySelectorAll('#help [data-action]'))
    b.addEventListener('click', () => post(b.dataset.action));
  document.getElementById('large').addEventListener('click', () => document.body.classList.toggle('large'));
  // Every touch and every key typed is input, also those the page handles
  // alone (the on-screen keys, Repeat, the volume, larger text): the
  // daemon starts the screen's inactivity time again. Told at most every
  // 2 s (the shortest inactivity time a kiosk may set is 5 s); quietly,
  // as screens without a timer refuse it.
  // The last touch of a burst is told too (its 2 s are the newest).
  let told = 0, later = null;
  const tell = () => {
    told = Date.now();
    post('input', null, true);
  };
  const touched = () => {
    const since = Date.now() - told;
    if (since >= 2000) tell();
    else if (!later) later = setTimeout(() => { later = null; tell(); }, 2000 - since);
  };
  document.addEventListener('input', touched, true);
  document.addEventListener('click', touched, true);
  // The welcome screen says "touch the screen": anywhere on it starts
  // (but the header's larger-text button only makes the text larger).
  document.getElementById('screen').addEventListener('click', (e) => {
    if (page.state && page.state.screen === 'wait-touch' && !e.target.closest('button')) post('touch');
  });
  const events = new EventSource('/api/events');
  events.addEventListener('state', onState);
});
