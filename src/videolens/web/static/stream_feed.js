// The open live stream's rolling timeline (newest first), its events, and the strip of frames,
// events and gaps over time. Frames are keyed by ``seq`` and events by ``event_id``, so a window
// sent twice (on the WebSocket and by a refresh) shows once.

import { withKey } from "./api.js";
import { $, h } from "./dom.js";
import { formatClock, formatClockRange, formatDateTime, formatSpan } from "./format.js";
import { pinFrame } from "./stream_view.js";
import { RUNNING } from "./streams.js";

const MAX_CARDS = 200; // the page keeps this many newest frames and events; the store keeps more
const MIN_SPAN_S = 60; // the strip shows at least a minute, so it fills up as the stream runs

export const feed = {
  id: null,
  doc: null,
  frames: new Map(), // seq -> frame
  frameCards: new Map(), // seq -> <li>
  events: new Map(), // event_id -> event
  eventCards: new Map(), // event_id -> <li>
  pinned: null, // the frame shown instead of the newest one, or null to follow the stream
  live: null, // { socket, timer, closed, final } while following
};

const fui = {
  timeline: $("stream-timeline"), timelineCount: $("stream-timeline-count"),
  timelineEmpty: $("stream-timeline-empty"),
  events: $("stream-events"), eventsCount: $("stream-events-count"), eventsEmpty: $("stream-events-empty"),
  strip: $("stream-strip"), stripStart: $("stream-strip-start"), stripEnd: $("stream-strip-end"),
};

export function resetFeed() {
  for (const name of ["frames", "frameCards", "events", "eventCards"]) feed[name].clear();
  feed.doc = null;
  feed.pinned = null;
  fui.timeline.replaceChildren();
  fui.events.replaceChildren();
  fui.strip.replaceChildren();
  fui.stripStart.textContent = "";
  fui.stripEnd.textContent = "";
  renderCounts();
}

export function newestFrame() {
  let newest = null;
  for (const frame of feed.frames.values()) if (!newest || frame.seq > newest.seq) newest = frame;
  return newest;
}

/** A lazy thumbnail; a frame the retention already pruned just shows no picture, and an event
 * with no frame (a word said before any frame was described) has none. */
function thumbnail(frame) {
  if (!frame.image_url) return h("span", { class: "moment-noimage" }, "no picture");
  const img = h("img", { src: withKey(frame.image_url), alt: "", loading: "lazy", decoding: "async", width: 128, height: 72 });
  img.addEventListener("error", () => { img.hidden = true; });
  return img;
}

export function frameChips(frame) {
  const chips = [];
  for (const text of frame.text || []) chips.push(h("span", { class: "chip chip-text", title: "On-screen text" }, text));
  if (frame.reason === "shot" || frame.shot_start) chips.push(h("span", { class: "chip chip-shot" }, "new shot"));
  for (const item of [...(frame.people || []), ...(frame.objects || []), ...(frame.actions || [])]) {
    chips.push(h("span", { class: "chip" }, item));
  }
  return chips;
}

function frameCard(frame) {
  const time = formatClock(frame.at);
  const chips = frameChips(frame);
  return h("li", { class: "moment-item", dataset: { seq: frame.seq } },
    h("button", {
      type: "button", class: "moment", dataset: { seq: frame.seq, at: frame.at },
      "aria-label": `Show the frame of ${time}: ${frame.description || "no description"}`,
      onclick: () => pinFrame(frame),
    },
    h("span", { class: "moment-thumb" }, thumbnail(frame),
      h("time", { class: "moment-time", datetime: frame.at_iso || null, title: formatDateTime(frame.at) }, time)),
    h("span", { class: "moment-body" },
      h("p", { class: "moment-desc" }, frame.description || "No description."),
      chips.length ? h("span", { class: "chips" }, chips) : null)));
}

function eventCard(event) {
  const time = formatClock(event.at);
  const webhook = event.webhook?.status;
  return h("li", { class: "moment-item stream-event", dataset: { eventId: event.event_id, seq: event.seq ?? "" } },
    h("button", {
      type: "button", class: "moment", dataset: { seq: event.seq ?? "", at: event.at },
      "aria-label": `Show the frame of ${time}: ${event.match || event.rule}`,
      onclick: () => pinFrame(feed.frames.get(event.seq) || eventFrame(event)),
      disabled: event.image_url ? null : true,
    },
    h("span", { class: "moment-thumb" }, thumbnail(event),
      h("time", { class: "moment-time", datetime: event.at_iso || null, title: formatDateTime(event.at) }, time)),
    h("span", { class: "moment-body" },
      h("p", { class: "stream-event-match" }, h("span", { class: "chip chip-rule" }, event.rule), " ",
        event.match || ""),
      h("p", { class: "moment-desc" }, event.description || ""),
      webhook ? h("span", { class: "chips" }, h("span", { class: "chip", dataset: { webhook } }, `webhook ${webhook}`)) : null)));
}

/** What the viewer needs of an event's frame when the frame itself is no longer listed. */
function eventFrame(event) {
  return { seq: event.seq, at: event.at, at_iso: event.at_iso, image_url: event.image_url, description: event.description };
}

/** Put each item's card in its place, newest first; drop the oldest beyond ``MAX_CARDS``. */
function place(list, cards, key, item, card, byKey) {
  cards.set(key, card);
  const later = [...list.children].find((li) => byKey(li) < item);
  list.insertBefore(card, later || null);
  while (cards.size > MAX_CARDS) {
    const oldest = list.lastElementChild;
    for (const [k, c] of cards) if (c === oldest) cards.delete(k);
    oldest.remove();
  }
}

/** Add frames (any order, repeats ignored); true when the newest frame changed. */
export function addFrames(frames) {
  const before = newestFrame()?.seq;
  for (const frame of frames || []) {
    if (frame?.seq === undefined || feed.frames.has(frame.seq)) continue;
    feed.frames.set(frame.seq, frame);
    place(fui.timeline, feed.frameCards, frame.seq, frame.seq, frameCard(frame), (li) => Number(li.dataset.seq));
  }
  for (const seq of [...feed.frames.keys()]) if (!feed.frameCards.has(seq)) feed.frames.delete(seq);
  renderCounts();
  renderStrip();
  return newestFrame()?.seq !== before;
}

export function addEvents(events) {
  for (const event of events || []) {
    if (!event?.event_id || feed.events.has(event.event_id)) continue;
    feed.events.set(event.event_id, event);
    const key = (li) => Number(feed.events.get(li.dataset.eventId)?.at ?? 0);
    place(fui.events, feed.eventCards, event.event_id, event.at, eventCard(event), key);
  }
  for (const id of [...feed.events.keys()]) if (!feed.eventCards.has(id)) feed.events.delete(id);
  renderCounts();
  renderStrip();
}

export function markPinned() {
  for (const [seq, li] of feed.frameCards) {
    const button = li.querySelector("button");
    if (feed.pinned && feed.pinned.seq === seq) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

function renderCounts() {
  fui.timelineCount.textContent = feed.frames.size ? String(feed.frames.size) : "";
  fui.timelineEmpty.hidden = feed.frames.size > 0;
  fui.eventsCount.textContent = feed.events.size ? String(feed.events.size) : "";
  fui.eventsEmpty.hidden = feed.events.size > 0;
}

/** The strip: from the oldest frame kept (at least a minute back) to now, or to the end. */
export function renderStrip() {
  const doc = feed.doc;
  const times = [...feed.frames.values()].map((f) => Number(f.at));
  if (!doc || !times.length) { fui.strip.replaceChildren(); fui.stripStart.textContent = ""; fui.stripEnd.textContent = ""; return; }
  const running = RUNNING.has(doc.status);
  const stoppedAt = Date.parse(doc.stopped_at || "") / 1000;
  const end = running ? Math.max(Date.now() / 1000, ...times)
    : Math.max(...times, Number.isFinite(stoppedAt) ? stoppedAt : 0);
  const start = Math.min(Math.min(...times), end - MIN_SPAN_S);
  const at = (t) => `${Math.min(100, Math.max(0, (100 * (t - start)) / (end - start)))}%`;
  const gaps = (doc.gaps || []).filter((g) => g.end_at > start).map((gap) =>
    h("span", {
      class: "stream-strip-gap", style: `left:${at(gap.start_at)};right:calc(100% - ${at(gap.end_at)})`,
      title: `No picture ${formatClockRange(gap.start_at, gap.end_at)}: ${gap.reason || ""}`,
    }));
  const marks = [...feed.frames.values()].map((frame) =>
    h("span", {
      class: "stream-strip-frame", style: `left:${at(frame.at)}`, title: formatClock(frame.at),
      "aria-current": feed.pinned?.seq === frame.seq ? "true" : null,
    }));
  const events = [...feed.events.values()].filter((e) => e.at >= start).map((event) =>
    h("span", { class: "stream-strip-event", style: `left:${at(event.at)}`, title: `${formatClock(event.at)} ${event.match || event.rule}` }));
  fui.strip.replaceChildren(...gaps, ...marks, ...events);
  fui.strip.setAttribute("aria-label", `${feed.frames.size} frames over the last ${formatSpan(end - start)}`);
  fui.stripStart.textContent = formatClock(start);
  fui.stripEnd.textContent = running ? "now" : formatClock(end);
}
