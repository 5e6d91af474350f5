// Shared by report.js and matrix.js (harness/report/html.ts inlines them into report.html). Plain browser
// JavaScript, no framework, no network. Report data is only ever put into the page with textContent and
// DOM APIs (never as HTML markup), and links only where they are http(s) or built from encoded path segments.
'use strict';

/** An element: attrs (class, text, on<event>, open, hidden, other attributes) and children (nodes or text). */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = String(v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'open' || k === 'hidden') e[k] = true;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined && k !== false) e.append(k);
  return e;
}

/** An http(s) link from the data, or undefined (a javascript: or data: URL never becomes a link). */
function safeUrl(u) {
  return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : undefined;
}

/** A relative link to `<dir>/report.html` built from encoded segments (never a scheme). */
function reportLink(dir, caseId) {
  const path = String(dir).split('/').filter((s) => s !== '' && s !== '.').map(encodeURIComponent).join('/');
  return `${path ? path + '/' : ''}report.html${caseId === undefined ? '' : '#case=' + encodeURIComponent(caseId)}`;
}

const VERDICTS = ['pass', 'lenient', 'advisory', 'fail', 'error', 'skip'];

function verdictBadge(verdict, extra) {
  const v = VERDICTS.includes(verdict) ? verdict : 'none';
  return el('span', { class: `v v-${v}${extra && extra.expected ? ' xf' : ''}`, title: extra && extra.title, text: verdict || '-' });
}

/** The view state in the URL's fragment: `#verdict=fail&q=alert&case=<id>`. */
function readHash() {
  const out = {};
  for (const [k, v] of new URLSearchParams(location.hash.replace(/^#/, ''))) out[k] = v;
  return out;
}

let writingHash = false;
function writeHash(state) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v !== undefined && v !== null && v !== '' && v !== false) p.set(k, v === true ? '1' : String(v));
  const h = p.toString();
  if (h === location.hash.replace(/^#/, '')) return;
  try {
    history.replaceState(null, '', h ? `#${h}` : location.pathname + location.search);
  } catch {
    writingHash = true;
    location.hash = h;
  }
}

/** Calls `f` on hash changes the user made (not on the page's own writes). */
function onHashChange(f) {
  window.addEventListener('hashchange', () => {
    if (writingHash) {
      writingHash = false;
      return;
    }
    f(readHash());
  });
}

/** Every word of the query is in the text (case-insensitive). */
function matches(text, words) {
  for (const w of words) if (!text.includes(w)) return false;
  return true;
}

function queryWords(q) {
  return String(q || '').toLowerCase().split(/\s+/).filter(Boolean);
}

function ms(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60000) return `${(n / 1000).toFixed(1)} s`;
  const m = Math.floor(n / 60000);
  return `${m} min ${Math.round((n - m * 60000) / 1000)} s`;
}

function duration(from, to) {
  const a = Date.parse(from);
  const b = Date.parse(to);
  return isFinite(a) && isFinite(b) ? ms(b - a) : '';
}

function readData(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/** A <select> of options [value, label]; `onchange` gets the value. */
function select(id, label, options, onchange) {
  return el('select', { id, 'aria-label': label, onchange: (e) => onchange(e.target.value) }, options.map(([v, l]) => el('option', { value: v, text: l })));
}
