// Spoken prompts: each screen's title and instruction, rendered by the
// daemon (espeak-ng; GET /api/speech) and played in the applicant's
// language when the daemon's state machine asks for it (the state's
// "speak" count changes: a new screen, the language switched); and on the
// face screen its prompt, whenever it changes (see speechOnFace). Repeat
// plays the last again; Quieter and Louder set the volume, kept for the
// session and back to the default at the welcome screen. A kiosk without
// speech hides the controls. Strings come from app.js's t(), none are written
// here.
'use strict';

const SPEECH_LEVELS = 5;
const SPEECH_DEFAULT_LEVEL = 3;

const speech = { available: false, level: SPEECH_DEFAULT_LEVEL, spoken: null };

function speechAudio() {
  return document.getElementById('prompt');
}

function speechSetLevel(level) {
  speech.level = Math.min(SPEECH_LEVELS, Math.max(1, level));
  speechAudio().volume = speech.level / SPEECH_LEVELS;
  document.getElementById('volume').textContent = t('speech.volume', { n: speech.level, total: SPEECH_LEVELS });
  document.getElementById('quieter').disabled = speech.level === 1;
  document.getElementById('louder').disabled = speech.level === SPEECH_LEVELS;
}

// From the start: a prompt already playing starts again.
function speechPlay() {
  const audio = speechAudio();
  if (!audio.getAttribute('src')) return;
  audio.pause();
  audio.currentTime = 0;
  // Refused while the page has had no touch (a browser's autoplay rule):
  // the applicant's first touch, or Repeat, plays the next one.
  audio.play().catch(() => {});
}

// Called by render(): the controls, shown where a session is, in the
// page's language; the welcome screen ends the session's volume.
function speechControls(screen) {
  const welcome = screen === 'wait-touch';
  document.getElementById('speech').hidden = !speech.available || welcome;
  if (welcome) speechAudio().pause();
  speechSetLevel(welcome ? SPEECH_DEFAULT_LEVEL : speech.level);
}

// The screen's prompt, when the machine asks.
function speechOnScreen(state) {
  if (!speech.available || state.speak === speech.spoken) return;
  speech.spoken = state.speak;
  if (state.screen === 'wait-touch') return;
  const known = page.strings['screen.' + state.screen + '.title'] !== undefined;
  const query = new URLSearchParams({ lang: page.lang, screen: known ? state.screen : 'other' });
  speechAudio().src = '/api/speech?' + query;
  speechPlay();
}

// The face screen's prompt changes often: it is said when it changes, at
// most once every FACE_GAP_MS, the newest waiting its turn (those it
// replaced are never said), and never over words being said — the
// screen's own prompt first, a face prompt to its end. On a retry, why
// the last try failed is said.
const FACE_GAP_MS = 2000;
const FACE_WAIT_MS = 250; // how often a waiting prompt looks whether the words before it have ended
const faceSpeech = { want: null, said: null, lang: null, at: 0, timer: null };

function speechOnFace(state) {
  const f = state.screen === 'wait-face' && state.face;
  if (!speech.available || !f) {
    clearTimeout(faceSpeech.timer);
    Object.assign(faceSpeech, { want: null, said: null, timer: null });
    return;
  }
  if (faceSpeech.lang !== page.lang) faceSpeech.said = null; // said again in the language now chosen
  faceSpeech.lang = page.lang;
  const key = f.phase === 'retry' && f.last ? 'face.retry.' + f.last : 'face.prompt.' + f.prompt;
  faceSpeech.want = page.strings[key] !== undefined ? key : null;
  speechFaceNext();
}

function speechFaceNext() {
  clearTimeout(faceSpeech.timer);
  faceSpeech.timer = null;
  if (!faceSpeech.want || faceSpeech.want === faceSpeech.said) return;
  const audio = speechAudio();
  const saying = !audio.paused && !audio.ended;
  const wait = saying ? FACE_WAIT_MS : faceSpeech.at + FACE_GAP_MS - Date.now();
  if (wait > 0) {
    faceSpeech.timer = setTimeout(speechFaceNext, wait);
    return;
  }
  faceSpeech.said = faceSpeech.want;
  faceSpeech.at = Date.now();
  audio.src = '/api/speech?' + new URLSearchParams({ lang: page.lang, prompt: faceSpeech.said });
  speechPlay();
}

// Called at every state.
function speechOnState(state) {
  speechOnScreen(state);
  speechOnFace(state);
}

document.addEventListener('DOMContentLoaded', async () => {
  document.getElementById('repeat').addEventListener('click', speechPlay);
  document.getElementById('quieter').addEventListener('click', () => speechSetLevel(speech.level - 1));
  document.getElementById('louder').addEventListener('click', () => speechSetLevel(speech.level + 1));
  const r = await fetch('/api/speech').catch(() => null);
  speech.available = Boolean(r && r.ok);
  if (page.state) {
    speechControls(page.state.screen);
    speechOnState(page.state);
  }
});
