// The library view (#/library): every video and stream the caller has, from the library index
// (GET /v1/library/videos), filtered by source, a label seen and the day added, a page at a
// time; beside it the search over every moment and the "Ask the library" box.

import { api } from "./api.js";
import { $, h } from "./dom.js";
import { formatTime } from "./format.js";
import { setupLibraryAsk } from "./library_ask.js";
import { changeLibrary, libraryParams } from "./library_route.js";
import { forgetLibrarySearch, runLibrarySearch, setupLibrarySearch } from "./library_search.js";
import { closeDrawer } from "./sessions.js";

const PAGE_SIZE = 20;
const FILTERS = ["source", "label", "since", "until"];
const KINDS = { file: "Video file", stream: "Live stream" };
const DATE = { dateStyle: "medium", timeStyle: "short" };

const lui = {
  view: $("library-view"), link: $("library-link"), filters: $("library-filters"),
  clear: $("library-clear"), list: $("library-videos"), empty: $("library-empty"),
  count: $("library-count"), pager: $("library-pager"), prev: $("library-prev"),
  next: $("library-next"), page: $("library-page"),
};
const shown = { query: null, turned: false }; // the listing asked for last; a page turned to it

/** The listing's query string for the hash's ``params``, and its page size and offset. */
function listing(params) {
  const limit = Math.min(500, Math.max(1, Number(params.get("limit")) || PAGE_SIZE));
  const page = Math.max(1, Math.floor(Number(params.get("page")) || 1));
  const query = new URLSearchParams();
  for (const name of FILTERS) if (params.get(name)) query.set(name, params.get(name));
  query.set("limit", String(limit));
  query.set("offset", String((page - 1) * limit));
  return { query: query.toString(), limit, page, filtered: FILTERS.some((n) => params.get(n)) };
}

export function openLibrary(params) {
  lui.view.hidden = false;
  lui.link.setAttribute("aria-current", "page");
  closeDrawer();
  for (const name of FILTERS) lui.filters.elements[name].value = params.get(name) || "";
  const wanted = listing(params);
  if (wanted.query !== shown.query) loadVideos(wanted);
  runLibrarySearch(params.get("q") || "");
}

export function closeLibrary() {
  lui.view.hidden = true;
  lui.link.removeAttribute("aria-current");
  shown.query = null; // read again on the next visit: videos may have come or gone
  forgetLibrarySearch();
}

function showEmpty(text) {
  lui.list.replaceChildren();
  lui.empty.textContent = text;
  lui.empty.hidden = false;
  lui.pager.hidden = true;
  lui.count.textContent = "";
}

async function loadVideos({ query, limit, page, filtered }) {
  shown.query = query;
  lui.list.setAttribute("aria-busy", "true");
  let body;
  try {
    body = await api(`/library/videos?${query}`);
  } catch (error) {
    if (shown.query !== query) return;
    showEmpty(error.status === 401 ? "This server needs an API key: enter it at the top right."
      : `The library cannot be read: ${error.message}`);
    shown.query = null;
    return;
  } finally {
    lui.list.removeAttribute("aria-busy");
  }
  if (shown.query !== query) return; // the filters changed meanwhile
  const { videos = [], total = 0, offset = 0 } = body || {};
  if (!videos.length) {
    showEmpty(filtered || page > 1 ? "No video or stream matches these filters."
      : "Nothing in your library yet: analyse a video or watch a stream.");
    lui.count.textContent = String(total);
    return;
  }
  lui.empty.hidden = true;
  lui.count.textContent = String(total);
  lui.list.replaceChildren(...videos.map(videoRow));
  lui.pager.hidden = total <= limit && offset === 0;
  lui.page.textContent = `${offset + 1}–${offset + videos.length} of ${total}`;
  lui.prev.disabled = page <= 1;
  lui.next.disabled = offset + videos.length >= total;
  // The first or last page disables the button just pressed: the keyboard stays in the pager.
  const focused = document.activeElement;
  if (shown.turned && (focused === document.body || focused?.disabled)) {
    (lui.next.disabled ? lui.prev : lui.next).focus();
  }
  shown.turned = false;
}

/** The labels seen in a video, in most frames first (a list; or words in one string); null when
 * the listing has none (an older server). */
function labelsOf(video) {
  if (video.labels === undefined || video.labels === null) return null;
  const labels = Array.isArray(video.labels) ? video.labels : String(video.labels).split(/\s+/);
  return labels.filter(Boolean);
}

/** The labels as chips, each choosing the videos where it was seen. */
function labelChips(labels) {
  if (!labels) return null;
  if (!labels.length) return h("p", { class: "library-video-meta" }, "No labels detected");
  return h("p", { class: "chips library-labels" },
    h("span", { class: "visually-hidden" }, "Labels seen (choose one to filter by it): "),
    labels.map((label) => h("button", {
      type: "button", class: "chip chip-label", title: `Only the videos where “${label}” was seen`,
      onclick: () => changeLibrary({ label, page: null }),
    }, label)));
}

function videoRow(video) {
  const stream = video.kind === "stream";
  const href = stream ? `#/streams/${video.video_id}` : `#/sessions/${video.video_id}`;
  const added = new Date(video.created_at);
  const meta = [KINDS[video.kind] || video.kind];
  if (!Number.isNaN(added.getTime())) {
    meta.push(" · ", h("time", { datetime: video.created_at }, added.toLocaleString(undefined, DATE)));
  }
  if (video.duration_s) meta.push(" · ", formatTime(video.duration_s));
  return h("li", { class: "library-video", dataset: { videoId: video.video_id } },
    h("div", { class: "library-video-head" },
      h("a", { class: "library-video-title", href, title: video.source || video.title }, video.title),
      h("span", { class: "badge", dataset: { status: video.status } }, video.status)),
    h("p", { class: "library-video-meta" }, ...meta),
    labelChips(labelsOf(video)));
}

export function setupLibrary() {
  lui.filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = { page: null };
    for (const name of FILTERS) changes[name] = lui.filters.elements[name].value.trim();
    changeLibrary(changes);
  });
  lui.clear.addEventListener("click", () => {
    changeLibrary(Object.fromEntries([...FILTERS, "page"].map((name) => [name, null])));
  });
  const turn = (step) => {
    shown.turned = true;
    const page = Math.max(1, (Number(libraryParams(location.hash)?.get("page")) || 1) + step);
    changeLibrary({ page: page > 1 ? String(page) : null });
  };
  lui.prev.addEventListener("click", () => turn(-1));
  lui.next.addEventListener("click", () => turn(1));
  setupLibrarySearch();
  setupLibraryAsk();
}
