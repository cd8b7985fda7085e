// What every view shares: the sounds, the selection, the player, the class colours.
import { audioUrl, get } from './api.js';

export const COLOURS = {
  kick: '#e6194b', snare: '#3cb44b', tom: '#f58231', hihat: '#4a7bff', cymbal: '#b25fd6',
  clap: '#42d4f4', rim: '#f032e6', perc: '#bfef45', other: '#a9a9a9', loop: '#c8a36a',
  unsure: '#707070',
};
export const colour = (label) => COLOURS[label] || '#cccccc';

export const store = {
  info: null,          // /api/info
  rows: [],            // {id, name, folder, label, confidence, corrected, warning}, by id
  selected: new Set(), // ids
  current: null,       // the id last selected (the detail panel's sound)
};

const listeners = new Map();
export function on(event, fn) {
  if (!listeners.has(event)) listeners.set(event, []);
  listeners.get(event).push(fn);
}
export function emit(event, data) {
  for (const fn of listeners.get(event) || []) fn(data);
}

export function addRows(fields, lists) {
  for (const list of lists) {
    const row = Object.fromEntries(fields.map((f, i) => [f, list[i]]));
    store.rows[row.id] = row;
  }
  emit('rows');
}

export const isUnsure = (row) =>
  row.label === 'unsure' || (!row.corrected && row.confidence < store.info.unsure_below);

// Selecting: alone (a click, an arrow key), toggled (Ctrl/Cmd), a range (Shift-click: `ids`)
// or one more (Shift-arrow: `extend`).
export function select(id, { toggle = false, ids = null, extend = false, play: andPlay = false } = {}) {
  if (ids) {
    store.selected.clear();
    ids.forEach((i) => store.selected.add(i));
  } else if (extend) store.selected.add(id);
  else if (toggle) {
    if (store.selected.has(id)) store.selected.delete(id); else store.selected.add(id);
  } else {
    store.selected.clear();
    store.selected.add(id);
  }
  store.current = id;
  emit('select', id);
  if (andPlay) play(id);
}

export const player = document.getElementById('player');

// Play a sound from `at` seconds (the waveforms say how many seconds they draw).
export function play(id, at = 0) {
  if (id === null || id === undefined) return;
  if (player.dataset.id !== String(id)) {
    player.src = audioUrl(id);
    player.dataset.id = String(id);
  }
  player.currentTime = at;
  player.play().catch(() => {}); // a browser may refuse before the first click: no matter
}

// Waveforms: peaks 0-255 per column and the seconds they cover, fetched in batches.
const peaks = new Map();
const wanted = new Set();
let timer = null;
export function waveform(id) {
  if (peaks.has(id)) return peaks.get(id);
  wanted.add(id);
  if (!timer) timer = setTimeout(fetchPeaks, 30);
  return null;
}
async function fetchPeaks() {
  timer = null;
  const ids = [...wanted].slice(0, 200);
  ids.forEach((id) => wanted.delete(id));
  if (wanted.size) timer = setTimeout(fetchPeaks, 30);
  try {
    const got = await get(`/api/peaks?ids=${ids.join(',')}`);
    for (const [id, wave] of Object.entries(got)) peaks.set(Number(id), wave);
    emit('peaks');
  } catch (err) {
    console.warn(err);
  }
}

export function drawWave(canvas, wave, label) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  if (!wave || !wave.peaks.length) return;
  g.fillStyle = colour(label);
  const n = wave.peaks.length, step = w / n;
  for (let i = 0; i < n; i++) {
    const v = Math.max(1, (wave.peaks[i] / 255) * (h - 2));
    g.fillRect(i * step, (h - v) / 2, Math.max(1, step - 0.5), v);
  }
}

// Where a click on a waveform lands, in seconds of the sound.
export function seekTime(event, canvas, wave) {
  const box = canvas.getBoundingClientRect();
  const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  return wave ? fraction * wave.seconds : 0;
}

// Dragging a sound (a list row, a similar match) onto a pad: the sound's id travels as text.
export const DRAG_TYPE = 'application/x-drumnet-sound';
export function draggable(el, id) {
  el.draggable = true;
  el.addEventListener('dragstart', (event) => {
    event.dataTransfer.setData(DRAG_TYPE, String(id));
    event.dataTransfer.effectAllowed = 'copy';
  });
}
