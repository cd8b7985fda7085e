// The kit view: a pad per GM drum; pick a sound per pad (from its class, or the sound
// selected in the list or map), let drumnet suggest the rest, audition, export.
import { audioUrl, post } from './api.js';
import { DRAG_TYPE, on, store } from './store.js';

const padsBox = document.getElementById('pads');
const result = document.getElementById('kit-result');
const CHOICES = 200; // sounds offered per pad, the most confident of its class

const kit = new Map(); // pad name -> {id, mine}: `mine` when a person chose it
const boxes = new Map(); // pad name -> its element

export function initKit() {
  for (const pad of store.info.pads) padsBox.appendChild(padElement(pad));
  document.getElementById('kit-suggest').addEventListener('click', suggest);
  document.getElementById('kit-play').addEventListener('click', playKit);
  document.getElementById('kit-clear').addEventListener('click', () => { kit.clear(); refresh(); });
  document.getElementById('kit-export').addEventListener('submit', exportKit);
  on('rows', () => { stale = true; if (shown) fillChoices(); });
  const choice = document.getElementById('pad-choice');
  for (const pad of store.info.pads) choice.add(new Option(`${pad.title} (${pad.key})`, pad.name));
  on('select', (id) => {
    const row = store.rows[id];
    const pad = row && store.info.pads.find((p) => p.label === row.label && !kit.has(p.name));
    const same = row && store.info.pads.find((p) => p.label === row.label);
    if (pad || same) choice.value = (pad || same).name;
  });
  document.getElementById('to-pad').addEventListener('click', () => {
    if (store.current !== null) setPad(choice.value, store.current, true);
  });
}

function padElement(pad) {
  const el = document.createElement('div');
  el.className = 'pad';
  el.dataset.pad = pad.name;
  el.innerHTML = `<header><strong></strong><span class="key"></span></header>
    <div class="sound">empty</div><select aria-label="sound"></select>
    <div class="buttons"><button type="button" class="play">▶ Play</button>
    <button type="button" class="use">Use selected</button>
    <button type="button" class="clear">×</button></div>`;
  el.querySelector('strong').textContent = pad.title;
  el.querySelector('.key').textContent = `key ${pad.key} · ${pad.label}`;
  el.querySelector('select').addEventListener('change', (e) => {
    setPad(pad.name, e.target.value === '' ? null : Number(e.target.value), true);
  });
  el.querySelector('.play').addEventListener('click', () => playPad(pad.name));
  el.querySelector('.use').addEventListener('click', () => {
    if (store.current !== null) setPad(pad.name, store.current, true);
  });
  el.querySelector('.clear').addEventListener('click', () => setPad(pad.name, null, true));
  el.addEventListener('dragover', (event) => {
    if (event.dataTransfer.types.includes(DRAG_TYPE)) event.preventDefault();
  });
  el.addEventListener('drop', (event) => {
    event.preventDefault();
    const id = Number(event.dataTransfer.getData(DRAG_TYPE));
    if (store.rows[id]) setPad(pad.name, id, true);
  });
  boxes.set(pad.name, el);
  return el;
}

// The pads' lists are made when the view is shown: sorting 50,000 rows twelve times on every
// batch of newly classified sounds would stall the page while it works.
let stale = true, shown = false;
export function showKit() {
  shown = true;
  if (stale) fillChoices();
}
export function hideKit() { shown = false; }

function fillChoices() {
  stale = false;
  for (const pad of store.info.pads) {
    const select = boxes.get(pad.name).querySelector('select');
    const rows = store.rows.filter((r) => r && r.label === pad.label)
      .sort((a, b) => b.confidence - a.confidence).slice(0, CHOICES);
    const key = rows.map((r) => r.id).join(',');
    if (select.dataset.key === key) continue;
    select.dataset.key = key;
    select.replaceChildren(new Option(`choose a ${pad.label}…`, ''));
    for (const r of rows) select.add(new Option(`${r.name} (${Math.round(r.confidence * 100)} %)`, r.id));
  }
  refresh();
}

function setPad(name, id, mine) {
  if (id === null) kit.delete(name); else kit.set(name, { id, mine });
  refresh();
  if (id !== null) playPad(name);
}

function refresh() {
  for (const [name, el] of boxes) {
    const chosen = kit.get(name);
    const row = chosen && store.rows[chosen.id];
    el.classList.toggle('filled', Boolean(row));
    el.dataset.id = row ? String(row.id) : '';
    el.querySelector('.sound').textContent = row ? `${row.name} — ${row.folder}` : 'empty';
    el.querySelector('.sound').title = row ? `${row.folder}/${row.name}` : '';
    const select = el.querySelector('select');
    if (row && ![...select.options].some((o) => o.value === String(row.id))) {
      select.add(new Option(row.name, row.id));
    }
    select.value = row ? String(row.id) : '';
  }
}

async function suggest() {
  const fixed = {};
  for (const [name, chosen] of kit) if (chosen.mine) fixed[name] = chosen.id;
  result.className = '';
  result.textContent = 'suggesting…';
  try {
    const got = await post('/api/kit/suggest', { fixed });
    for (const [name, id] of Object.entries(got.pads)) {
      if (!(name in fixed)) kit.set(name, { id, mine: false });
    }
    refresh();
    result.textContent = `suggested ${Object.keys(got.pads).length} pads`;
  } catch (err) {
    result.className = 'error';
    result.textContent = err.message;
  }
}

const voices = new Map(); // pad -> Audio, so pads overlap as on a sampler
function playPad(name) {
  const chosen = kit.get(name);
  if (!chosen) return;
  let voice = voices.get(name);
  if (!voice) voices.set(name, (voice = new Audio()));
  if (voice.dataset.id !== String(chosen.id)) {
    voice.src = audioUrl(chosen.id);
    voice.dataset.id = String(chosen.id);
  }
  voice.currentTime = 0;
  voice.play().catch(() => {});
}

// A bar of a simple beat on the kit's pads, then the other pads one by one.
function playKit() {
  const beat = [['kick', 'closed-hat'], ['closed-hat'], ['snare', 'closed-hat'], ['closed-hat'],
    ['kick', 'closed-hat'], ['kick', 'open-hat'], ['snare', 'closed-hat'], ['closed-hat']];
  const rest = ['tom-high', 'tom-mid', 'tom-low', 'crash', 'ride', 'clap', 'rim', 'perc'];
  const steps = beat.concat(rest.map((p) => [p]));
  steps.forEach((pads, i) => setTimeout(() => pads.forEach(playPad), i * 250));
}

async function exportKit(event) {
  event.preventDefault();
  const pads = Object.fromEntries([...kit].map(([name, chosen]) => [name, chosen.id]));
  const formats = [...document.querySelectorAll('input[name="format"]:checked')].map((i) => i.value);
  result.className = '';
  result.textContent = 'exporting…';
  try {
    const done = await post('/api/kit/export', {
      pads, formats,
      out: document.getElementById('kit-out').value,
      name: document.getElementById('kit-name').value || 'drumnet kit',
    });
    result.textContent = `wrote ${Object.keys(done.samples).length} samples and `
      + `${done.kit_files.join(', ')}`;
  } catch (err) {
    result.className = 'error';
    result.textContent = err.message;
  }
}
