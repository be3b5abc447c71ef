// keyboard — text entry on a kiosk that has no keyboard: the on-screen
// keyboard that types into the page's fields, the checks of what is typed
// (ICAO 9303 check digits and YYMMDD dates for the access key, the
// contact details as the daemon's take_review judges them), and the
// picture of a passport's photo page (data-page.svg) showing where the
// numbers are printed. A physical keyboard still works: the fields stay
// ordinary inputs, only the system's own keyboard is kept away
// (inputmode="none"). Every word comes from the page's t(); nothing here
// is written in a language. Exposed as globalThis.appmKeys, so that the
// pure checks can also be run by node (tests/ui/keys.mjs).
'use strict';

(function () {
  // ---- the checks ----

  // ICAO 9303 part 3: digits are their value, A-Z 10-35, '<' 0;
  // weights 7, 3, 1 repeated; the sum modulo 10. -1 for another character.
  function checkDigit(s) {
    const weights = [7, 3, 1];
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let v;
      if (c >= 48 && c <= 57) v = c - 48;
      else if (c >= 65 && c <= 90) v = c - 55;
      else if (s[i] === '<') v = 0;
      else return -1;
      sum += v * weights[i % 3];
    }
    return sum % 10;
  }

  // A YYMMDD date as lds_date_check takes it: 'incomplete' while fewer
  // than 6 digits are typed, then 'date' or 'not-date'.
  function dateStatus(s) {
    if (s.length < 6) return /^[0-9]*$/.test(s) ? 'incomplete' : 'not-date';
    if (!/^[0-9]{6}$/.test(s)) return 'not-date';
    const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    const yy = Number(s.slice(0, 2)), mm = Number(s.slice(2, 4)), dd = Number(s.slice(4, 6));
    if (mm < 1 || mm > 12 || dd < 1 || dd > days[mm - 1]) return 'not-date';
    if (mm === 2 && dd === 29 && yy % 4 !== 0) return 'not-date';
    return 'date';
  }

  // One field of the MRZ and its check digit, as far as they are typed:
  // 'typing' (nothing to say yet), 'not-date', 'right' or 'wrong'.
  function fieldStatus(isDate, value, check) {
    if (isDate) {
      const d = dateStatus(value);
      if (d === 'not-date') return 'not-date';
      if (d === 'incomplete') return 'typing';
    }
    if (!value || check.length !== 1) return 'typing';
    return checkDigit(value) === Number(check) && /[0-9]/.test(check) ? 'right' : 'wrong';
  }

  // The review's details, by the rules of kiosk/journey.c take_review.
  const contact = {
    phone(v) {
      const digits = (v.match(/[0-9]/g) || []).length;
      return v.length <= 20 && /^[0-9+ -]*$/.test(v) && digits >= 8;
    },
    email(v) {
      const at = v.indexOf('@');
      return at > 0 && v.indexOf('.', at) > 0 && v.length <= 254 && v.indexOf(' ') < 0;
    },
    address(v) {
      const n = new TextEncoder().encode(v).length; // the daemon counts bytes
      return n >= 5 && n <= 200;
    },
  };

  // ---- the keyboard ----

  // Keys per kind of field; BS backspace (Delete), CLR clear, SP space:
  // at the right of a keypad, on the bottom row of letters. At most ten
  // keys a row, so that a row fits beside the form.
  const BS = 'BS', CLR = 'CLR', SP = 'SP';
  const layouts = {
    mrz: ['1234567890', 'QWERTYUIOP', 'ASDFGHJKL<', 'ZXCVBNM', [BS, CLR]],
    digits: [['123', BS], ['456', CLR], '789', '0'],
    phone: [['123', BS], ['456', CLR], '789', '+0'],
    email: ['1234567890', 'qwertyuiop', 'asdfghjkl@', 'zxcvbnm.', ['-_+', BS, CLR]],
    address: ['1234567890', 'QWERTYUIOP', 'ASDFGHJKL-', 'ZXCVBNM,./', [SP, BS, CLR]],
  };
  // What a field of each kind keeps of what is typed (a physical keyboard
  // may type anything).
  const keeps = { mrz: /[^A-Z0-9<]/g, digits: /[^0-9]/g };
  // Keys whose character a screen reader may not speak.
  const named = { '<': 'filler', '@': 'at', '.': 'dot', '-': 'dash', '_': 'underscore', '+': 'plus',
                  ',': 'comma', '/': 'slash' };

  function keysOf(row) {
    const out = [];
    for (const part of typeof row === 'string' ? [row] : row)
      if (part === BS || part === CLR || part === SP) out.push(part);
      else out.push(...part);
    return out;
  }

  // A keyboard for `inputs` (in their order), each with data-kind one of
  // the layouts; t() gives the words, onChange(input) is called after
  // every change, onTarget(input) when the keyboard types into another
  // field. Returns { element, focusFirst }.
  function create(t, inputs, onChange, onTarget) {
    const kb = { target: null, kind: null };
    const element = document.createElement('div');
    element.className = 'keyboard';
    element.setAttribute('role', 'group');
    element.setAttribute('aria-label', t('keyboard.label'));

    const visible = (f) => f.getClientRects().length > 0;
    const maxOf = (f) => (f.maxLength > 0 ? f.maxLength : Infinity);

    function build(kind) {
      if (kind === kb.kind) return;
      kb.kind = kind;
      element.dataset.kind = kind;
      element.replaceChildren();
      for (const row of layouts[kind]) {
        const r = document.createElement('div');
        r.className = 'keyrow';
        for (const k of keysOf(row)) r.append(key(k));
        element.append(r);
      }
    }

    function key(k) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'key';
      b.dataset.key = k;
      if (k === BS) {
        const icon = document.createElement('span');
        icon.setAttribute('aria-hidden', 'true');
        icon.textContent = '\u232b ';
        b.append(icon, t('keyboard.backspace'));
        b.classList.add('wide');
      } else if (k === CLR) {
        b.textContent = t('keyboard.clear');
        b.classList.add('wide');
      } else if (k === SP) {
        b.textContent = t('keyboard.space');
        b.classList.add('space');
      } else {
        b.textContent = k;
        if (named[k]) b.setAttribute('aria-label', t('keyboard.key.' + named[k]));
      }
      // A touch or a click on a key leaves the focus where it was (in
      // the field); a key reached with Tab or a screen reader keeps it.
      b.addEventListener('mousedown', (e) => e.preventDefault());
      b.addEventListener('click', () => press(k));
      return b;
    }

    function setTarget(f) {
      const old = kb.target;
      if (!f || f === old) return;
      if (old) old.classList.remove('typing');
      kb.target = f;
      f.classList.add('typing');
      build(f.dataset.kind);
      if (old) onChange(old); // what it says may change once it is left
      if (onTarget) onTarget(f);
    }

    // Move to the next (or previous) visible field: focus it when the
    // focus was in a field, else only type there.
    function move(f, step) {
      const shown = inputs.filter(visible);
      const next = shown[shown.indexOf(f) + step];
      if (!next) return;
      if (inputs.includes(document.activeElement)) next.focus();
      else setTarget(next);
    }

    function press(k) {
      const f = kb.target;
      if (!f) return;
      const start = f.selectionStart ?? f.value.length, end = f.selectionEnd ?? start;
      if (k === CLR) {
        f.value = '';
      } else if (k === BS) {
        if (!f.value) return move(f, -1);
        if (start === end) f.setRangeText('', Math.max(0, start - 1), start, 'end');
        else f.setRangeText('', start, end, 'end');
      } else {
        if (f.value.length - (end - start) >= maxOf(f)) return;
        f.setRangeText(k === SP ? ' ' : k, start, end, 'end');
      }
      f.dispatchEvent(new Event('input', { bubbles: true }));
    }

    for (const f of inputs) {
      f.setAttribute('inputmode', 'none');
      f.setAttribute('autocomplete', 'off');
      f.setAttribute('autocapitalize', 'off');
      f.setAttribute('spellcheck', 'false');
      f.addEventListener('focus', () => setTarget(f));
      f.addEventListener('input', () => {
        const keep = keeps[f.dataset.kind];
        const tidy = (s) => (f.dataset.kind === 'mrz' ? s.toUpperCase() : s).replace(keep, '');
        if (keep && tidy(f.value) !== f.value) {
          // The caret stays after what was typed, less what was dropped.
          const caret = tidy(f.value.slice(0, f.selectionStart ?? f.value.length)).length;
          f.value = tidy(f.value).slice(0, maxOf(f));
          f.setSelectionRange(Math.min(caret, f.value.length), Math.min(caret, f.value.length));
        }
        onChange(f);
        const atEnd = f.selectionStart === null || f.selectionStart === f.value.length;
        if (f === kb.target && f.value.length >= maxOf(f) && atEnd) move(f, 1);
      });
    }
    if (inputs.length) build(inputs[0].dataset.kind);
    return {
      element,
      target: () => kb.target,
      // The first visible field, ready to be typed in.
      focusFirst() {
        const f = inputs.find(visible);
        if (f) f.focus();
      },
    };
  }

  // ---- the picture ----

  let svgText = null;

  // The photo page as an inline <svg> (so the page can highlight its
  // parts), named for screen readers by the caller; null if it cannot be
  // had.
  async function picture() {
    if (svgText === null) {
      const r = await fetch('/data-page.svg');
      if (!r.ok) return null;
      svgText = await r.text();
    }
    const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
    const svg = document.importNode(doc.documentElement, true);
    svg.setAttribute('role', 'img');
    svg.setAttribute('focusable', 'false');
    return svg;
  }

  globalThis.appmKeys = { checkDigit, dateStatus, fieldStatus, contact, layouts, create, picture };
})();
