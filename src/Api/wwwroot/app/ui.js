// Small DOM helpers shared by every view.

/** h('div.cls#id', {attrs, on: {click}}, ...children) */
export function h(tag, props, ...children) {
  const [, name = 'div', rest = ''] = tag.match(/^([a-z0-9-]*)(.*)$/i);
  const el = document.createElement(name || 'div');
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1)); else el.id = part.slice(1);
  }
  if (props !== null && props !== undefined && (typeof props !== 'object' || props instanceof Node || Array.isArray(props))) { children.unshift(props); props = null; }
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'class') el.classList.add(...String(v).split(/\s+/).filter(Boolean));
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) { el.replaceChildren(); append(el, children); return el; }

export function toast(text, kind = 'info') {
  const t = h('div.toast.' + kind, { role: kind === 'error' ? 'alert' : 'status' }, text);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), 6000);
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const hrs = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return hrs < 48 ? `${hrs} h ${String(m).padStart(2, '0')} min` : `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export const pct = x => (x === null || x === undefined) ? '–' : `${(x * 100).toFixed(1)}%`;

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A character counter bound to an input: "12/256", red past the limit. */
export function counter(input, limit, warnAt) {
  const out = h('span.counter');
  const update = () => {
    const n = input.value.length;
    out.textContent = `${n}/${limit}`;
    out.classList.toggle('over', n > limit);
    out.classList.toggle('warn', warnAt !== undefined && n > warnAt && n <= limit);
    out.title = n > limit ? `${n - limit} characters too many` : (warnAt !== undefined && n > warnAt ? `Only the first ${warnAt} characters show in the notification preview` : '');
  };
  input.addEventListener('input', update);
  update();
  return out;
}

/** Shows a problem-details body next to the form: field errors by name, or the detail. */
export function showProblem(container, error) {
  const p = error && error.problem;
  const lines = [];
  if (p && p.errors) for (const [field, msgs] of Object.entries(p.errors)) lines.push(`${field}: ${msgs.join(' ')}`);
  else lines.push((p && (p.detail || p.title)) || String(error.message || error));
  clear(container, lines.map(l => h('div', l)));
  container.hidden = false;
}

/** Asks before something is removed: resolves true when the person confirms. */
export function confirmDialog(question, action = 'Delete') {
  return new Promise(resolve => {
    const done = answer => { dialog.close(); dialog.remove(); resolve(answer); };
    const dialog = h('dialog.modal.confirm', { role: 'alertdialog' },
      h('p', question),
      h('div.actions', h('button', { type: 'button', 'data-action': 'cancel', on: { click: () => done(false) } }, 'Cancel'),
        h('button.danger', { type: 'button', 'data-action': 'confirm', on: { click: () => done(true) } }, action)));
    dialog.addEventListener('cancel', () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}
