// Search across the whole library (GET /v1/library/search): the best moments of every video and
// stream, one scoring for all; a hit opens its session at that moment (or its stream).

import { api } from "./api.js";
import { $ } from "./dom.js";
import { formatClock, formatTime } from "./format.js";
import { changeLibrary } from "./library_route.js";
import { resultCard } from "./search_all.js";

const LIMIT = 20;

const sui = {
  form: $("library-search"), input: $("library-search-input"), meta: $("library-search-meta"),
  hits: $("library-hits"),
};
const shown = { q: null }; // the query whose hits are shown (or being read)

/** Where a hit leads and what its card says. */
function hitCard(hit) {
  const stream = hit.source === "stream";
  return {
    href: stream ? `#/streams/${hit.video_id}` : `#/sessions/${hit.session_id}?t=${hit.timestamp_s}`,
    image: hit.image_url,
    when: stream ? formatClock(hit.timestamp_s) : formatTime(hit.timestamp_s),
    where: hit.title, description: hit.description, text: hit.text,
  };
}

function say(text) {
  sui.meta.textContent = text;
  sui.meta.hidden = !text;
}

/** Show the hits for ``q`` (nothing for an empty one); the same query is not asked twice. */
export async function runLibrarySearch(q) {
  if (document.activeElement !== sui.input) sui.input.value = q;
  if (q === shown.q) return;
  shown.q = q;
  if (!q) { say(""); sui.hits.replaceChildren(); return; }
  say(`Searching for “${q}”…`);
  let hits;
  try {
    hits = await api(`/library/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`);
  } catch (error) {
    if (shown.q !== q) return;
    shown.q = null; // asked again, it is tried again
    say(`The search failed: ${error.message}`);
    return;
  }
  if (shown.q !== q) return; // another search meanwhile
  say(hits.length
    ? `${hits.length} ${hits.length === 1 ? "moment matches" : "best moments match"} “${q}”.`
    : `No moment in your library matches “${q}”.`);
  sui.hits.replaceChildren(...hits.map((hit) => resultCard(hitCard(hit))));
}

/** Forget the hits shown, so that the next visit reads them again (the library may have grown). */
export function forgetLibrarySearch() {
  shown.q = null;
}

export function setupLibrarySearch() {
  sui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    changeLibrary({ q: sui.input.value.trim() });
  });
}
