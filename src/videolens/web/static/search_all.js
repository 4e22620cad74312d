// Search across all of the caller's sessions (GET /v1/search) and live streams
// (GET /v1/streams/{id}/search, one request per stream): a list of matching moments, best first,
// each opening its session at that moment (or its stream).

import { api, withKey } from "./api.js";
import { h, ui } from "./dom.js";
import { formatClock, formatTime, videoName } from "./format.js";

const LIMIT = 30;
const MAX_STREAMS = 10; // one request each: the newest few

/** ``#/search?q=…`` -> the query (empty when the hash is not a search). */
export function searchQuery(hash) {
  const match = hash.match(/^#\/search\?q=(.*)$/);
  return match ? decodeURIComponent(match[1].replace(/\+/g, " ")) : "";
}

/** A found moment: a link to it with its picture, time, video and what it shows. */
export function resultCard({ href, image, when, where, description, text }) {
  return h("li", { class: "moment-item search-hit" },
    h("a", { class: "moment", href },
      h("span", { class: "moment-thumb" },
        image ? h("img", { src: withKey(image), alt: "", loading: "lazy", width: 128, height: 72 }) : null,
        h("span", { class: "moment-time" }, when)),
      h("span", { class: "moment-body" },
        h("span", { class: "search-where" }, where),
        h("span", { class: "moment-desc" }, description || "No description."),
        text?.length ? h("span", { class: "chips" }, text.map((t) => h("span", { class: "chip chip-text" }, t))) : null)));
}

async function sessionHits(q) {
  const [hits, listing] = await Promise.all([
    api(`/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`),
    api("/sessions").catch(() => ({ sessions: [] })),
  ]);
  const names = new Map((listing?.sessions || []).map((s) => [s.session_id, s.title || videoName(s)]));
  return (hits || []).map((hit) => ({
    score: hit.score,
    href: `#/sessions/${hit.session_id}?t=${hit.timestamp_s}`,
    image: hit.image_url, when: formatTime(hit.timestamp_s),
    where: names.get(hit.session_id) || hit.session_id,
    description: hit.description, text: hit.text,
  }));
}

async function streamHits(q) {
  const listing = await api("/streams").catch(() => null);
  const streams = (listing?.streams || []).slice(0, MAX_STREAMS);
  const found = await Promise.all(streams.map(async (stream) => {
    const body = await api(`/streams/${encodeURIComponent(stream.stream_id)}/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`)
      .catch(() => null);
    return (body?.hits || []).map((hit) => ({
      score: hit.score,
      href: `#/streams/${hit.stream_id}`,
      image: hit.image_url, when: formatClock(hit.at),
      where: stream.name || stream.url || stream.stream_id,
      description: hit.description, text: hit.text,
    }));
  }));
  return found.flat();
}

/** Show the search view for ``q``. */
export async function runSearch(q) {
  ui.searchView.hidden = false;
  ui.globalSearchInput.value = q;
  ui.searchMeta.textContent = `Searching for “${q}”…`;
  ui.searchResults.replaceChildren();
  let hits;
  try {
    const [sessions, streams] = await Promise.all([sessionHits(q), streamHits(q)]);
    hits = [...sessions, ...streams].sort((a, b) => b.score - a.score);
  } catch (error) {
    ui.searchMeta.textContent = `The search failed: ${error.message}`;
    return;
  }
  if (searchQuery(location.hash) !== q) return; // another search meanwhile
  ui.searchMeta.textContent = hits.length
    ? `${hits.length} ${hits.length === 1 ? "moment matches" : "moments match"} “${q}” in your sessions and streams.`
    : `Nothing in your sessions or streams matches “${q}”.`;
  ui.searchResults.replaceChildren(...hits.map(resultCard));
}

export function setupGlobalSearch() {
  ui.globalSearch.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = ui.globalSearchInput.value.trim();
    if (q) location.hash = `#/search?q=${encodeURIComponent(q)}`;
  });
}
