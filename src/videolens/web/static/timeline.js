// The timeline: moment cards, the filter, and the strip of marks and shots under the player.

import { API, api, withKey } from "./api.js";
import { clipLink } from "./clips.js";
import { h, ui } from "./dom.js";
import { formatTime } from "./format.js";
import { momentFacts } from "./moment_facts.js";
import { duration, highlightCurrent, seek } from "./player.js";
import { state } from "./state.js";

/** Shots as coloured bands under the moment marks (dominant colour of each shot's first frame). */
export function renderShots() {
  const frames = sortedFrames();
  const shotFrames = frames.filter((f) => f.shot_start);
  const starts = state.doc?.shots?.starts_s || shotFrames.map((f) => f.timestamp_s);
  const total = duration();
  if (!starts.length || !total) { ui.scrubberShots.replaceChildren(); return; }
  const palette = starts.map((start) => {
    const frame = frames.find((f) => f.timestamp_s >= start - 0.05);
    return frame?.colours?.[0]?.hex || "var(--border)";
  });
  ui.scrubberShots.replaceChildren(...starts.map((start, i) => {
    const end = i + 1 < starts.length ? starts[i + 1] : total;
    return h("span", { style: `width:${(100 * (end - start)) / total}%;background:${cssColour(palette[i])}` });
  }));
}

const cssColour = (value) => (/^#[0-9a-f]{3,8}$/i.test(value) ? value : "var(--border)");

function sortedFrames() {
  return [...state.frames.values()].sort((a, b) => a.timestamp_s - b.timestamp_s || a.index - b.index);
}

function imageUrl(frame) {
  return withKey(frame.image_url || `${API}/sessions/${encodeURIComponent(state.sessionId)}/frames/${frame.index}/image`);
}

const CHIP = {
  text: { class: "chip chip-text", title: "On-screen text" },
  shot: { class: "chip chip-shot" },
  fact: { class: "chip" },
};

function momentCard(frame) {
  const chips = momentFacts(frame).map((fact) => h("span", CHIP[fact.kind], fact.text));
  const colours = (frame.colours || []).slice(0, 4).map((c) =>
    h("span", { class: "swatch", style: `background:${cssColour(c.hex)}`, title: c.name || c.hex }));
  const time = formatTime(frame.timestamp_s);
  const button = h("button", {
    type: "button", class: "moment", dataset: { index: frame.index, t: frame.timestamp_s },
    onclick: () => seek(frame.timestamp_s, frame.index),
  },
  // The name is what the card shows, after what clicking it does.
  h("span", { class: "visually-hidden" }, "Seek to "),
  h("span", { class: "moment-thumb" },
    thumbnail(imageUrl(frame)),
    h("time", { class: "moment-time", datetime: `PT${frame.timestamp_s}S` }, time)),
  h("span", { class: "moment-body" },
    h("p", { class: "moment-desc" }, frame.description || "No description."),
    chips.length || colours.length
      ? h("span", { class: "chips" }, colours.length ? h("span", { class: "swatches", "aria-hidden": "true" }, colours) : null, chips)
      : null));
  return h("li", { class: "moment-item", dataset: { index: frame.index } }, button,
    clipLink(frame.timestamp_s));
}

/** A lazy thumbnail that retries a few times (a long burst may still meet the media allowance). */
function thumbnail(url) {
  const img = h("img", { src: url, alt: "", loading: "lazy", decoding: "async", width: 128, height: 72 });
  let tries = 0;
  img.addEventListener("error", () => {
    tries += 1;
    if (tries > 3) { img.hidden = true; return; }
    setTimeout(() => { img.src = `${url}${url.includes("?") ? "&" : "?"}retry=${tries}`; }, 1500 * tries);
  });
  return img;
}

function matchesFilter(frame) {
  if (state.searchHits) return state.searchHits.has(frame.index);
  if (!state.filter) return true;
  const haystack = [frame.description, ...(frame.text || []), ...(frame.people || []),
    ...(frame.objects || []), ...(frame.actions || []), formatTime(frame.timestamp_s)]
    .join(" ").toLowerCase();
  return state.filter.split(/\s+/).every((word) => haystack.includes(word));
}

/** What is said, as a card between the moments: clicking it seeks to where it starts. */
function speechCard(segment) {
  const time = formatTime(segment.start_s);
  const button = h("button", {
    type: "button", class: "said", dataset: { t: segment.start_s },
    "aria-label": `Seek to ${time}: said “${segment.text}”`,
    onclick: () => seek(segment.start_s),
  },
  h("time", { class: "said-time", datetime: `PT${segment.start_s}S` }, time),
  h("q", { class: "said-text" }, segment.text));
  return h("li", { class: "speech-item" }, button);
}

function speechSegments() {
  const speech = state.doc?.speech;
  return speech?.status === "ok" ? speech.segments || [] : [];
}

function placeCard(card, previous) {
  const expected = previous ? previous.nextSibling : ui.moments.firstChild;
  if (expected !== card) ui.moments.insertBefore(card, expected);
  return card;
}

/** Keyed update: existing cards are moved, not rebuilt, so thumbnails never reload. */
export function renderFrames() {
  const frames = sortedFrames();
  const total = duration();
  let previous = null;
  let shown = 0;
  // Speech segments go before the first moment that starts after them.
  const speech = [...speechSegments()].sort((a, b) => a.start_s - b.start_s);
  let said = 0;
  const placeSpeechUntil = (limit) => {
    for (; said < speech.length && speech[said].start_s < limit; said += 1) {
      const segment = speech[said];
      const key = `${segment.start_s}|${segment.text}`;
      let card = state.speechCards.get(key);
      if (!card) {
        card = speechCard(segment);
        state.speechCards.set(key, card);
      }
      card.hidden = Boolean(state.filter || state.searchHits) && !segment.text.toLowerCase().includes(state.filter);
      previous = placeCard(card, previous);
    }
  };
  for (const frame of frames) {
    placeSpeechUntil(frame.timestamp_s);
    let card = state.cards.get(frame.index);
    if (!card) {
      card = momentCard(frame);
      state.cards.set(frame.index, card);
    }
    const visible = matchesFilter(frame);
    card.hidden = !visible;
    if (visible) shown += 1;
    previous = placeCard(card, previous);

    let mark = state.marks.get(frame.index);
    if (!mark) {
      mark = h("button", {
        type: "button", class: "scrubber-mark", tabindex: "-1",
        title: `${formatTime(frame.timestamp_s)} ${frame.description || ""}`.trim(),
        "aria-label": `Seek to ${formatTime(frame.timestamp_s)}`,
        onclick: () => seek(frame.timestamp_s, frame.index),
      });
      state.marks.set(frame.index, mark);
      ui.scrubberMarks.append(mark);
    }
    mark.style.left = total ? `${(100 * frame.timestamp_s) / total}%` : "0";
  }
  placeSpeechUntil(Infinity);
  ui.scrubberMarks.dataset.dense = String(frames.length > 60);
  ui.momentsCount.textContent = frames.length ? String(frames.length) : "";
  const running = state.doc?.status === "running";
  if (!frames.length) {
    ui.momentsEmpty.textContent = running ? "Moments appear here as they are described…" : "No moments were analysed.";
  } else if (!shown) {
    ui.momentsEmpty.textContent = "No moment matches your search.";
  }
  ui.momentsEmpty.hidden = frames.length > 0 && shown > 0;
  highlightCurrent();
}

export function addFrames(frames) {
  for (const frame of frames || []) state.frames.set(frame.index, frame);
  renderFrames();
}

export function setupFilter() {
  let timer = 0;
  ui.momentFilter.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(runFilter, 150);
  });
}

async function runFilter() {
  state.filter = ui.momentFilter.value.trim().toLowerCase();
  state.searchHits = null;
  if (state.filter && state.features.search && state.doc?.status !== "running") {
    try {
      const q = encodeURIComponent(ui.momentFilter.value.trim());
      const body = await api(`/sessions/${encodeURIComponent(state.sessionId)}/search?q=${q}`);
      const hits = Array.isArray(body) ? body : body?.hits || body?.results || body?.moments || body?.items || [];
      state.searchHits = new Set(hits.map((hit) => hit.index ?? hit.frame?.index ?? hit.frame_index).filter((i) => i !== undefined));
    } catch (error) {
      if (error.status === 404) state.features.search = false;
    }
  }
  renderFrames();
}
