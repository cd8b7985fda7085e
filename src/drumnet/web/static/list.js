// The list view: every sound in a virtual list (only the rows in sight are in the page), with
// filters, sorting, keyboard navigation that plays as it moves, and clickable waveforms.
import {
  colour, draggable, drawWave, isUnsure, on, play, seekTime, select, store, waveform,
} from './store.js';

const ROW = 34; // px, as .row in app.css
const list = document.getElementById('list');
const spacer = document.getElementById('list-spacer');
const classFilter = document.getElementById('filter-class');
const unsureFilter = document.getElementById('filter-unsure');
const textFilter = document.getElementById('filter-text');
const sortBy = document.getElementById('sort');
const count = document.getElementById('count');

let view = []; // the rows shown, filtered and sorted
let anchor = null; // where a Shift-click range starts
let pending = null; // a refresh waiting to run
const shown = new Map(); // id -> row element in the page

export function initList() {
  for (const label of store.info.classes.concat(['unsure'])) {
    classFilter.add(new Option(label, label));
  }
  for (const input of [classFilter, unsureFilter, sortBy]) input.addEventListener('change', refresh);
  textFilter.addEventListener('input', refresh);
  list.addEventListener('scroll', () => requestAnimationFrame(render));
  window.addEventListener('resize', () => requestAnimationFrame(render));
  list.addEventListener('keydown', onKey);
  on('rows', () => {
    // While a big library is being classified, rows come in every poll: refresh once a second.
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, view.length > 5000 ? 1000 : 30);
  });
  on('peaks', render);
  on('select', (id) => { reveal(id); render(); });
}

function matches(row, label, unsure, words) {
  if (label && (label === 'unsure' ? row.label !== 'unsure' : row.label !== label)) return false;
  if (unsure && !isUnsure(row)) return false;
  const text = `${row.name} ${row.folder}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

const text = new Intl.Collator(undefined, { numeric: true }).compare; // 'Kick 2' < 'Kick 10'
const SORTS = {
  name: (a, b) => text(a.name, b.name),
  folder: (a, b) => text(a.folder, b.folder) || text(a.name, b.name),
  label: (a, b) => text(a.label, b.label) || b.confidence - a.confidence,
  confidence: (a, b) => a.confidence - b.confidence,
  '-confidence': (a, b) => b.confidence - a.confidence,
};

export function refresh() {
  const words = textFilter.value.toLowerCase().split(/\s+/).filter(Boolean);
  const label = classFilter.value, unsure = unsureFilter.checked;
  view = store.rows.filter((row) => row && matches(row, label, unsure, words));
  view.sort(SORTS[sortBy.value]);
  count.textContent = `${view.length} of ${store.rows.length} sounds`;
  spacer.style.height = `${view.length * ROW}px`;
  list.dataset.rows = String(view.length);
  for (const el of shown.values()) el.remove();
  shown.clear();
  render();
}

function render() {
  const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
  const last = Math.min(view.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + 5);
  const keep = new Set();
  for (let i = first; i < last; i++) {
    const row = view[i];
    keep.add(row.id);
    let el = shown.get(row.id);
    if (!el) {
      el = rowElement(row);
      shown.set(row.id, el);
      list.appendChild(el);
    }
    el.style.top = `${i * ROW}px`;
    fill(el, row);
  }
  for (const [id, el] of shown) {
    if (!keep.has(id)) { el.remove(); shown.delete(id); }
  }
}

function rowElement(row) {
  const el = document.createElement('div');
  el.className = 'row';
  el.setAttribute('role', 'option');
  el.dataset.id = String(row.id);
  el.innerHTML = '<span class="name"></span><span class="folder"></span>'
    + '<span><span class="badge"></span></span><span class="conf"></span><canvas></canvas>';
  el.addEventListener('click', (event) => onClick(event, row.id));
  draggable(el, row.id);
  el.querySelector('canvas').addEventListener('click', (event) => {
    event.stopPropagation();
    const wave = waveform(row.id);
    select(row.id);
    play(row.id, seekTime(event, event.target, wave));
  });
  return el;
}

function fill(el, row) {
  el.querySelector('.name').textContent = row.name;
  el.querySelector('.name').title = row.name;
  el.querySelector('.folder').textContent = row.folder;
  el.querySelector('.folder').title = row.folder;
  const badge = el.querySelector('.badge');
  badge.textContent = row.label;
  badge.style.background = colour(row.label);
  badge.classList.toggle('corrected', row.corrected);
  const conf = el.querySelector('.conf');
  conf.textContent = row.corrected ? 'yours' : `${Math.round(row.confidence * 100)} %`;
  conf.classList.toggle('low', isUnsure(row));
  el.classList.toggle('selected', store.selected.has(row.id));
  el.classList.toggle('current', store.current === row.id);
  el.setAttribute('aria-selected', String(store.selected.has(row.id)));
  drawWave(el.querySelector('canvas'), waveform(row.id), row.label);
}

function onClick(event, id) {
  list.focus();
  if (event.shiftKey && anchor !== null) {
    const a = view.findIndex((r) => r.id === anchor), b = view.findIndex((r) => r.id === id);
    const [lo, hi] = a < b ? [a, b] : [b, a];
    select(id, { ids: view.slice(lo, hi + 1).map((r) => r.id) });
    return;
  }
  anchor = id;
  select(id, { toggle: event.ctrlKey || event.metaKey, play: !(event.ctrlKey || event.metaKey) });
}

function onKey(event) {
  if (event.key === ' ') {
    event.preventDefault();
    play(store.current);
    return;
  }
  const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[event.key];
  if (!step || !view.length) return;
  event.preventDefault();
  const at = view.findIndex((r) => r.id === store.current);
  const next = view[Math.min(view.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
  if (!event.shiftKey) anchor = next.id;
  if (event.shiftKey) select(next.id, { extend: true, play: true });
  else select(next.id, { play: true });
}

function reveal(id) {
  const i = view.findIndex((r) => r.id === id);
  if (i < 0) return;
  const top = i * ROW;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + ROW > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW - list.clientHeight;
}

export const visibleRows = () => view;
