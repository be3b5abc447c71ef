// The kiosk's page: shows the state the daemon pushes (Server-Sent
// Events), in the applicant's language, and posts the applicant's
// actions back; the daemon's state machine decides what they do. No
// string is written here: every one comes from /i18n/LANG.json.
'use strict';

const page = { state: null, strings: {}, lang: null };

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

async function post(action, extra) {
  if (!page.state) return;
  const body = Object.assign({ session: page.state.session, action: action }, extra || {});
  await fetch('/api/action', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                               body: JSON.stringify(body) });
}

function render() {
  const st = page.state;
  const screen = st.screen;
  const known = page.strings['screen.' + screen + '.title'] !== undefined;
  document.title = t('page.title');
  document.getElementById('title').textContent = t('screen.' + (known ? screen : 'other') + '.title');
  document.getElementById('instruction').textContent = t('screen.' + (known ? screen : 'other') + '.instruction');
  document.getElementById('step').textContent = st.step ? t('step', { n: st.step, total: st.steps }) : '';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  document.getElementById('help').hidden = screen === 'wait-touch';
  document.getElementById('languages').hidden = screen === 'wait-touch';
  const actions = document.getElementById('actions');
  actions.replaceChildren();
  if (screen === 'wait-touch') {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = t('button.start');
    b.addEventListener('click', () => post('touch'));
    actions.append(b);
  }
}

async function onState(ev) {
  page.state = JSON.parse(ev.data);
  await loadStrings(page.state.language || 'id');
  render();
}

document.addEventListener('DOMContentLoaded', () => {
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => post('language', { value: b.dataset.lang }));
  for (const b of document.querySelectorAll('#help [data-action]'))
    b.addEventListener('click', () => post(b.dataset.action));
  const events = new EventSource('/api/events');
  events.addEventListener('state', onState);
});
