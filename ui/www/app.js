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
async function post(action, extra) {
  if (!page.state) return;
  const body = Object.assign({ session: page.state.session, action: action }, extra || {});
  const r = await fetch('/api/action', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                         body: JSON.stringify(body) });
  if (!r.ok) {
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
  'wait-access-key': (box) => {
    box.append(el('p', {}, t('key.where')));
    for (const [name, label, size] of [['document_number', 'key.document_number', 9],
                                       ['birth_date', 'key.birth_date', 6],
                                       ['expiry_date', 'key.expiry_date', 6]]) {
      box.append(field(name, label, { maxlength: String(size), inputmode: name === 'document_number' ? 'text' : 'numeric' }));
      box.append(field(name + '_check', 'key.check_digit', { maxlength: '1', inputmode: 'numeric' }));
    }
    box.append(button('button.continue', 'key', () => ({
      document_number: value('document_number'), document_number_check: value('document_number_check'),
      birth_date: value('birth_date'), birth_date_check: value('birth_date_check'),
      expiry_date: value('expiry_date'), expiry_date_check: value('expiry_date_check') })));
    box.append(field('can', 'key.can', { maxlength: '6', inputmode: 'numeric' }));
    box.append(button('button.use_can', 'key', () => ({ can: value('can') })));
  },
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
    box.append(dl);
    for (const skipped of page.state.skipped || []) box.append(el('p', { class: 'skipped' }, t('skipped.' + skipped)));
    box.append(field('phone', 'review.phone', { inputmode: 'tel' }));
    box.append(field('email', 'review.email', { inputmode: 'email' }));
    box.append(field('address', 'review.address'));
    const years = el('select', { id: 'f-validity', 'aria-label': t('review.validity') });
    for (const y of [10, 5]) years.append(el('option', { value: String(y) }, t('review.years', { n: y })));
    box.append(years);
    box.append(button('button.confirm', 'confirm', () => ({
      phone: document.getElementById('f-phone').value.trim(), email: document.getElementById('f-email').value.trim(),
      address: document.getElementById('f-address').value.trim(),
      validity_years: Number(document.getElementById('f-validity').value) })));
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
  document.getElementById('help').hidden = !inSession;
  document.getElementById('languages').hidden = !inSession || screen === 'wait-language';
  const box = document.getElementById('actions');
  box.replaceChildren();
  if (screens[screen]) screens[screen](box);
  page.error = '';
  showError();
}

async function onState(ev) {
  const previous = page.state;
  page.state = JSON.parse(ev.data);
  await loadStrings(page.state.language || 'id');
  // Typing is not interrupted by a progress update of the same screen.
  if (!previous || previous.screen !== page.state.screen || page.state.screen === 'wait-chip' ||
      previous.language !== page.state.language || previous.session !== page.state.session)
    render();
  speechOnState(page.state);
}

document.addEventListener('DOMContentLoaded', () => {
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => post('language', { value: b.dataset.lang }));
  for (const b of document.querySelectorAll('#help [data-action]'))
    b.addEventListener('click', () => post(b.dataset.action));
  document.getElementById('large').addEventListener('click', () => document.body.classList.toggle('large'));
  const events = new EventSource('/api/events');
  events.addEventListener('state', onState);
});
