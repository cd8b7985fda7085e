// The server's JSON endpoints. Writes carry the per-launch token the page was served with.
const TOKEN = document.querySelector('meta[name="drumnet-token"]').content;

async function answer(response) {
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { headers: { Accept: 'application/json' } }));
}

export async function post(path, body) {
  return answer(await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Drumnet-Token': TOKEN },
    body: JSON.stringify(body),
  }));
}

export const audioUrl = (id) => `/api/sounds/${id}/audio`;
