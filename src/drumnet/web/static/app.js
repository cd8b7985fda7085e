// The page: loads the library as the server finds it, switches views, and runs the detail
// panel (correct a label, find similar). Views live in list.js, map.js and kit.js.
import { get, post } from './api.js';
import { hideKit, initKit, showKit } from './kit.js';
import { initList, refresh } from './list.js';
import { draw, hideMap, initMap, loadMap, showMap } from './map.js';
import {
  addRows, colour, draggable, drawWave, on, play, seekTime, select, store, waveform,
} from './store.js';

const statusBox = document.getElementById('status');
const statusText = document.getElementById('status-text');
const progress = document.getElementById('progress');

async function main() {
  store.info = await get('/api/info');
  initList();
  initMap();
  initKit();
  initDetail();
  for (const button of document.querySelectorAll('nav button')) {
    button.addEventListener('click', () => show(button.dataset.view));
    // A sound dragged over a tab opens it, so a row of the list can be dropped on a pad.
    button.addEventListener('dragenter', () => show(button.dataset.view));
  }
  await poll();
}

function show(name) {
  for (const button of document.querySelectorAll('nav button')) {
    button.classList.toggle('active', button.dataset.view === name);
  }
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== `view-${name}`;
  if (name === 'map') showMap(); else hideMap();
  if (name === 'kit') showKit(); else hideKit();
  document.body.dataset.view = name;
}

// Follow the server's work: new rows as they are classified, the map once it is made.
async function poll() {
  const status = await get('/api/status');
  const have = store.rows.length;
  if (status.sounds > have) {
    const got = await get(`/api/sounds?since=${have}`);
    addRows(got.fields, got.rows);
  }
  const total = status.total ?? 0;
  progress.max = Math.max(1, total);
  progress.value = status.done;
  const failed = status.failed ? ` · ${status.failed} could not be read` : '';
  if (status.phase === 'ready') {
    statusText.textContent = `${store.rows.length} sounds${failed}`;
    statusBox.classList.add('ready');
    statusBox.title = status.errors.join('\n');
    await loadMap();
    document.body.dataset.ready = 'true';
    return;
  }
  if (status.phase === 'failed') {
    statusText.textContent = `stopped: ${status.message}`;
    return;
  }
  statusText.textContent = `${status.phase} ${status.done}${total ? ` of ${total}` : ''}${failed}`;
  setTimeout(poll, 400);
}

const detail = {
  name: document.getElementById('detail-name'),
  folder: document.getElementById('detail-folder'),
  label: document.getElementById('detail-label'),
  wave: document.getElementById('detail-wave'),
  correctLabel: document.getElementById('correct-label'),
  correctResult: document.getElementById('correct-result'),
  similar: document.getElementById('similar'),
};

function initDetail() {
  for (const label of store.info.classes) detail.correctLabel.add(new Option(label, label));
  on('select', showDetail);
  on('peaks', () => showDetail(store.current, true));
  detail.wave.addEventListener('click', (event) => {
    if (store.current === null) return;
    play(store.current, seekTime(event, detail.wave, waveform(store.current)));
  });
  document.getElementById('correct').addEventListener('click', correct);
  document.getElementById('find-similar').addEventListener('click', findSimilar);
  document.getElementById('review').addEventListener('click', review);
}

function showDetail(id, waveOnly = false) {
  const row = store.rows[id];
  if (!row) return;
  drawWave(detail.wave, waveform(id), row.label);
  if (waveOnly) return;
  detail.name.textContent = row.name;
  detail.folder.textContent = row.folder;
  const how = row.corrected ? 'your label' : `${Math.round(row.confidence * 100)} % sure`;
  const n = store.selected.size;
  detail.label.innerHTML = '';
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.style.background = colour(row.label);
  badge.textContent = row.label;
  detail.label.append(badge, ` ${how}${row.warning ? ` · ${row.warning}` : ''}`
    + (n > 1 ? ` · ${n} selected` : ''));
  detail.correctLabel.value = row.label in Object.fromEntries(store.info.classes.map((c) => [c, 1]))
    ? row.label : store.info.classes[0];
  detail.similar.replaceChildren();
  detail.correctResult.textContent = '';
}

async function correct() {
  const ids = [...store.selected];
  if (!ids.length) return;
  const label = detail.correctLabel.value;
  detail.correctResult.className = '';
  try {
    const done = await post('/api/corrections', { ids, label });
    for (const id of done.corrected) {
      Object.assign(store.rows[id], { label, confidence: 1, corrected: true });
    }
    refresh();
    draw(true);
    showDetail(store.current);
    const failed = done.failed.length ? `; ${done.failed.length} failed: ${done.failed[0].error}` : '';
    detail.correctResult.textContent = `labelled ${done.corrected.length} as ${label}${failed}`;
  } catch (err) {
    detail.correctResult.className = 'error';
    detail.correctResult.textContent = err.message;
  }
}

async function findSimilar() {
  if (store.current === null) return;
  detail.similar.replaceChildren();
  try {
    const got = await get(`/api/sounds/${store.current}/similar?top=20`);
    for (const m of got.matches) {
      const row = store.rows[m.id];
      const li = document.createElement('li');
      li.dataset.id = String(m.id);
      const pack = row.folder.split('/').pop();
      li.textContent = `${m.similarity.toFixed(2)}  ${row.name} · ${pack} · ${row.label}`;
      li.title = row.folder;
      li.addEventListener('click', () => play(m.id));
      li.addEventListener('dblclick', () => select(m.id));
      draggable(li, m.id);
      detail.similar.appendChild(li);
    }
  } catch (err) {
    detail.similar.textContent = err.message;
  }
}

// `drumnet review` in the page: doubtful sounds, one per kind of sound, most useful first.
async function review() {
  const list = document.getElementById('review-list');
  list.replaceChildren();
  try {
    const got = await get('/api/review?top=20');
    if (!got.suggestions.length) list.textContent = 'nothing left to ask about';
    for (const s of got.suggestions) {
      const row = store.rows[s.id];
      const li = document.createElement('li');
      li.dataset.id = String(s.id);
      li.textContent = `${row.name}: ${s.reason}`;
      li.title = row.folder;
      li.addEventListener('click', () => { select(s.id); play(s.id); });
      list.appendChild(li);
    }
  } catch (err) {
    list.textContent = err.message;
  }
}

main().catch((err) => { statusText.textContent = `error: ${err.message}`; });
