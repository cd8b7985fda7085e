// The map view: every sound as a point placed by its embedding (the server's PCA layout),
// coloured by class, drawn on a 2-D canvas. A grid of screen cells indexes the points, so
// finding the one under the mouse looks at a few points, not all 50,000.
import { get } from './api.js';
import { COLOURS, colour, on, play, select, store } from './store.js';

const canvas = document.getElementById('map');
const legend = document.getElementById('map-legend');
const CELL = 12; // px: the grid's cell, about twice the pick radius
const PICK = 6; // px: how near the mouse a point must be to be hovered
let DOT = 3; // px: a point's size, larger when there are few

let ids = new Int32Array(0);
let xs = new Float32Array(0), ys = new Float32Array(0); // layout, 0..1
let sx = new Float32Array(0), sy = new Float32Array(0); // on screen, CSS px
let grid = new Map();
let zoom = 1, panX = 0, panY = 0;
let hovered = null, drag = null, visible = false;

export function initMap() {
  for (const [label, c] of Object.entries(COLOURS)) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.style.background = c;
    badge.textContent = label;
    legend.appendChild(badge);
  }
  canvas.addEventListener('mousemove', onMove);
  canvas.addEventListener('mouseleave', () => { hovered = null; draw(); });
  canvas.addEventListener('mousedown', (e) => { drag = { x: e.clientX, y: e.clientY, moved: false }; });
  window.addEventListener('mouseup', () => { setTimeout(() => { drag = null; }, 0); });
  canvas.addEventListener('click', onClick);
  canvas.addEventListener('dblclick', () => { zoom = 1; panX = panY = 0; layout(); });
  canvas.addEventListener('wheel', onWheel, { passive: false });
  window.addEventListener('resize', () => visible && layout());
  on('select', () => visible && draw());
  on('rows', () => visible && draw(true));
}

export async function showMap() {
  visible = true;
  if (!ids.length) await loadMap();
  layout();
}
export function hideMap() { visible = false; }

export async function loadMap() {
  const map = await get('/api/map');
  ids = Int32Array.from(map.ids);
  xs = Float32Array.from(map.x);
  ys = Float32Array.from(map.y);
  where = new Map(map.ids.map((id, i) => [id, i]));
  DOT = ids.length < 2000 ? 5 : ids.length < 20000 ? 4 : 3;
  canvas.dataset.ready = String(map.ready);
  if (visible) layout();
}

// Screen positions and the grid, after a resize, zoom or pan.
function layout() {
  const w = canvas.clientWidth, h = canvas.clientHeight, m = 14;
  const size = Math.min(w, h) - 2 * m;
  const ox = (w - size) / 2, oy = (h - size) / 2;
  sx = new Float32Array(ids.length);
  sy = new Float32Array(ids.length);
  grid = new Map();
  for (let i = 0; i < ids.length; i++) {
    const x = ox + ((xs[i] - 0.5) * zoom + 0.5) * size + panX;
    const y = oy + ((0.5 - ys[i]) * zoom + 0.5) * size + panY; // y up, as in a plot
    sx[i] = x;
    sy[i] = y;
    if (x < -CELL || y < -CELL || x > w + CELL || y > h + CELL) continue;
    const key = cellKey(Math.floor(x / CELL), Math.floor(y / CELL));
    let cell = grid.get(key);
    if (!cell) grid.set(key, (cell = []));
    cell.push(i);
  }
  baseDirty = true;
  draw();
}

const cellKey = (cx, cy) => cx * 100003 + cy;

// The points are drawn once into a bitmap (pixels written straight into an ImageData: 50,000
// fillRect calls take over 100 ms in a software-rendered canvas); a hover or a selection only
// copies that bitmap and draws its rings, so it costs about a millisecond whatever the count.
const base = document.createElement('canvas');
let baseDirty = true;
const packed = new Map(); // colour '#rrggbb' -> 0xAABBGGRR, as ImageData's bytes read
function pixel(css) {
  if (!packed.has(css)) {
    const v = parseInt(css.slice(1), 16);
    packed.set(css, (0xff000000 | ((v & 0xff) << 16) | (v & 0xff00) | (v >> 16)) >>> 0);
  }
  return packed.get(css);
}

function renderBase(width, height, ratio) {
  const started = performance.now();
  base.width = width;
  base.height = height;
  const image = new ImageData(width, height);
  const px = new Uint32Array(image.data.buffer);
  const half = Math.max(1, Math.floor((DOT * ratio) / 2));
  let drawn = 0;
  for (let i = 0; i < ids.length; i++) {
    const x = Math.round(sx[i] * ratio), y = Math.round(sy[i] * ratio);
    if (x < -half || y < -half || x >= width + half || y >= height + half) continue;
    const row = store.rows[ids[i]];
    const c = pixel(colour(row ? row.label : 'other'));
    for (let yy = Math.max(0, y - half); yy <= Math.min(height - 1, y + half); yy++) {
      const line = yy * width;
      for (let xx = Math.max(0, x - half); xx <= Math.min(width - 1, x + half); xx++) px[line + xx] = c;
    }
    drawn++;
  }
  base.getContext('2d').putImageData(image, 0, 0);
  baseDirty = false;
  canvas.dataset.points = String(ids.length);
  canvas.dataset.drawn = String(drawn);
  canvas.dataset.renderMs = (performance.now() - started).toFixed(2);
}

// Redraw; `labels`: the classes changed (a correction), so the points are drawn again.
export function draw(labels = false) {
  if (!visible || !canvas.clientWidth || !canvas.clientHeight) {
    baseDirty = true; // drawn when the map is shown
    return;
  }
  const started = performance.now();
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  const width = Math.round(w * ratio), height = Math.round(h * ratio);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
    baseDirty = true;
  }
  if (labels || baseDirty) renderBase(width, height, ratio);
  const g = canvas.getContext('2d');
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.clearRect(0, 0, width, height);
  g.drawImage(base, 0, 0);
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  for (const i of ringed()) {
    g.strokeStyle = i === hovered ? '#ffffff' : '#f0b429';
    g.lineWidth = 2;
    g.beginPath();
    g.arc(sx[i], sy[i], 6, 0, 2 * Math.PI);
    g.stroke();
  }
  canvas.dataset.frameMs = (performance.now() - started).toFixed(2);
}

let where = new Map(); // sound id -> its index in the layout
function ringed() {
  const out = [];
  if (hovered !== null) out.push(hovered);
  if (store.selected.size < 500) {
    for (const id of store.selected) if (where.has(id)) out.push(where.get(id));
  }
  return out;
}

// The point nearest (x, y) within PICK px: a look at the 3 x 3 cells around it.
export function pointAt(x, y) {
  const cx = Math.floor(x / CELL), cy = Math.floor(y / CELL);
  let best = null, bestD = PICK * PICK;
  for (let dx = -1; dx <= 1; dx++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (const i of grid.get(cellKey(cx + dx, cy + dy)) || []) {
        const d = (sx[i] - x) ** 2 + (sy[i] - y) ** 2;
        if (d <= bestD) { best = i; bestD = d; }
      }
    }
  }
  return best;
}

function mouse(event) {
  const box = canvas.getBoundingClientRect();
  return [event.clientX - box.left, event.clientY - box.top];
}

function onMove(event) {
  if (drag && (event.buttons & 1)) {
    panX += event.clientX - drag.x;
    panY += event.clientY - drag.y;
    drag.moved = drag.moved || Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 2;
    drag.x = event.clientX;
    drag.y = event.clientY;
    layout();
    return;
  }
  const found = pointAt(...mouse(event));
  if (found === hovered) return;
  hovered = found;
  canvas.title = found === null ? '' : describe(ids[found]);
  draw();
  if (found !== null) play(ids[found]);
}

function onClick(event) {
  if (drag && drag.moved) return;
  const found = pointAt(...mouse(event));
  if (found !== null) select(ids[found], { toggle: event.ctrlKey || event.metaKey });
}

function onWheel(event) {
  event.preventDefault();
  const [x, y] = mouse(event);
  const factor = event.deltaY < 0 ? 1.25 : 0.8;
  const next = Math.min(200, Math.max(1, zoom * factor));
  const k = next / zoom;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  panX = x - w / 2 - (x - w / 2 - panX) * k; // keep the point under the mouse in place
  panY = y - h / 2 - (y - h / 2 - panY) * k;
  zoom = next;
  layout();
}

function describe(id) {
  const row = store.rows[id];
  return row ? `${row.name} (${row.label}, ${Math.round(row.confidence * 100)} %)` : '';
}
