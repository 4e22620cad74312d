// The open live stream: header and actions, the frame viewer (the newest frame, or one picked
// from the timeline), facts and gaps. stream_live.js keeps it current.

import { api, withKey } from "./api.js";
import { renderFactList, renderHead, renderUnavailable, showAlert } from "./detail_view.js";
import { $, h, toast } from "./dom.js";
import { formatClock, formatClockRange, formatDateTime, formatSpan } from "./format.js";
import { addEvents, addFrames, feed, frameChips, markPinned, newestFrame, renderStrip, resetFeed } from "./stream_feed.js";
import { followStream, unfollowStream } from "./stream_live.js";
import { closeDrawer } from "./sessions.js";
import { loadStreams, markCurrentStream, RUNNING, streamName, updateStreamItem } from "./streams.js";

const TIMELINE = 50; // frames asked for when a stream opens; the WebSocket adds the rest

const vui = {
  view: $("stream-view"), title: $("stream-title"), meta: $("stream-meta"), status: $("stream-status"),
  stop: $("stream-stop"), remove: $("stream-delete"), note: $("stream-note"), error: $("stream-error"),
  image: $("stream-image"), waiting: $("stream-waiting"), tag: $("stream-frame-tag"),
  time: $("stream-frame-time"), follow: $("stream-follow"), description: $("stream-description"),
  chips: $("stream-chips"), facts: $("stream-facts"), gaps: $("stream-gaps"),
};

export async function openStream(id) {
  if (id !== feed.id) {
    closeStream();
    feed.id = id;
  }
  markCurrentStream(id);
  vui.view.hidden = false;
  closeDrawer();
  let doc;
  try {
    doc = await api(`/streams/${encodeURIComponent(id)}?timeline=${TIMELINE}`);
  } catch (error) {
    if (feed.id !== id) return;
    renderUnavailable(vui, "Stream unavailable");
    vui.stop.hidden = vui.remove.hidden = true;
    showStreamError(error.status === 404 ? "This stream does not exist (any more)." : error.message);
    return;
  }
  if (feed.id !== id) return; // the user moved on meanwhile
  applyStream(doc);
  addFrames(doc.timeline);
  showViewer();
  if (RUNNING.has(doc.status)) followStream(id);
  else loadEvents(id);
}

/** A stopped stream's events (a running one's come on its WebSocket). */
async function loadEvents(id) {
  try {
    const body = await api(`/streams/${encodeURIComponent(id)}/events?limit=1000`);
    if (feed.id === id) addEvents(body?.events);
  } catch (error) {
    if (feed.id === id && error.status !== 404) toast(`Events: ${error.message}`);
  }
}

export function closeStream() {
  unfollowStream();
  resetFeed();
  feed.id = null;
  markCurrentStream(null);
  vui.view.hidden = true;
  vui.error.hidden = vui.note.hidden = true;
  vui.status.hidden = vui.remove.hidden = false;
  vui.stop.hidden = true;
  vui.stop.disabled = false;
  vui.image.hidden = true;
  vui.image.removeAttribute("src");
  vui.waiting.hidden = false;
  vui.waiting.textContent = "Waiting for the first frame…";
  vui.tag.hidden = vui.follow.hidden = true;
  for (const el of [vui.time, vui.description, vui.chips, vui.facts, vui.gaps]) el.replaceChildren();
}

/** A stream document (from GET, the WebSocket or a refresh) with its live progress. */
export function applyStream(doc) {
  if (!doc || doc.stream_id !== feed.id) return;
  const progress = doc.progress || (RUNNING.has(doc.status) ? feed.doc?.progress : null);
  feed.doc = { ...doc, progress };
  renderHeader();
  renderFacts();
  renderGaps();
  renderStrip();
  updateStreamItem(feed.doc);
}

/** The ``progress`` query's answer, pushed on the WebSocket while the stream runs. */
export function applyProgress(progress) {
  if (!feed.doc || !RUNNING.has(feed.doc.status)) return;
  feed.doc = { ...feed.doc, progress, status: progress.state, source_error: progress.source_error };
  renderHeader();
  renderFacts();
  updateStreamItem(feed.doc);
}

function renderHeader() {
  const doc = feed.doc;
  const meta = [];
  if (doc.name && doc.url) meta.push(doc.url);
  const rules = doc.options?.rules || [];
  meta.push(rules.length ? `rules: ${rules.join(", ")}` : "no rules");
  const created = Date.parse(doc.created_at) / 1000;
  if (Number.isFinite(created)) meta.push(`started ${formatClock(created)}`);
  renderHead(vui, { title: streamName(doc), tooltip: doc.url || "", meta, status: doc.status });
  const running = RUNNING.has(doc.status);
  vui.stop.hidden = !running;
  if (!running) { vui.stop.disabled = false; vui.stop.textContent = "Stop"; }
  if (doc.progress?.stopping && running) { vui.stop.disabled = true; vui.stop.textContent = "Stopping…"; }
  vui.remove.hidden = false;
  const waiting = doc.status === "connecting" || doc.status === "reconnecting" || doc.status === "starting";
  const note = running && doc.source_error && waiting ? `No picture now: ${doc.source_error}` : "";
  vui.note.textContent = note;
  vui.note.hidden = !note;
  if (doc.status === "failed") showStreamError(doc.error || "The stream failed.");
  else vui.error.hidden = true;
}

export function showStreamError(message) {
  showAlert(vui.error, message);
}

function renderFacts() {
  const doc = feed.doc;
  const options = doc.options || {};
  const facts = [
    ["Frames", String(doc.progress?.frames_described ?? doc.frames_total ?? 0)],
    ["Events", String(doc.progress?.events ?? doc.events_total ?? 0)],
  ];
  const last = doc.progress?.last_frame_at ?? doc.last_frame_at;
  if (last) facts.push(["Last frame", formatClock(last)]);
  if (options.window_s) facts.push(["Window", `${options.window_s} s`]);
  if (options.retention_s) facts.push(["Kept for", formatSpan(options.retention_s)]);
  if (options.backend) facts.push(["Backend", options.backend]);
  if (options.record) facts.push(["Recording", "on"]);
  if (doc.stopped_at) {
    const stopped = Date.parse(doc.stopped_at) / 1000;
    if (Number.isFinite(stopped)) facts.push(["Stopped", formatClock(stopped)]);
  }
  renderFactList(vui.facts, facts);
}

function renderGaps() {
  const gaps = [...(feed.doc.gaps || [])].sort((a, b) => b.start_at - a.start_at).slice(0, 20);
  vui.gaps.replaceChildren(...gaps.map((gap) =>
    h("li", { class: "stream-gap", title: `${formatDateTime(gap.start_at)} – ${formatDateTime(gap.end_at)}` },
      h("strong", {}, `No picture ${formatClockRange(gap.start_at, gap.end_at)}`),
      ` (${formatSpan(gap.seconds ?? gap.end_at - gap.start_at)})`,
      gap.reason ? `: ${gap.reason}` : "")));
}

/** The viewer: the picked frame, else the newest; a new image is swapped in once it loaded. */
export function showViewer() {
  const frame = feed.pinned || newestFrame();
  vui.follow.hidden = !feed.pinned;
  markPinned();
  renderStrip();
  if (!frame) {
    const running = feed.doc && RUNNING.has(feed.doc.status);
    vui.waiting.textContent = running ? "Waiting for the first frame…" : "No frames were kept.";
    vui.waiting.hidden = false;
    return;
  }
  if (!frame.image_url) {
    vui.image.hidden = true;
    vui.image.removeAttribute("src");
    vui.waiting.textContent = "No picture for this moment.";
    vui.waiting.hidden = false;
  }
  const url = frame.image_url ? withKey(frame.image_url) : "";
  vui.tag.textContent = feed.pinned ? "Picked frame" : RUNNING.has(feed.doc?.status) ? "Live" : "Last frame";
  vui.tag.dataset.live = String(!feed.pinned && RUNNING.has(feed.doc?.status));
  vui.tag.hidden = false;
  vui.time.textContent = formatClock(frame.at);
  vui.time.setAttribute("datetime", frame.at_iso || "");
  vui.time.title = formatDateTime(frame.at);
  vui.description.textContent = frame.description || "No description.";
  vui.chips.replaceChildren(...frameChips(frame));
  vui.image.dataset.seq = frame.seq;
  vui.image.alt = frame.description || `Frame of ${formatClock(frame.at)}`;
  if (!url) return;
  if (vui.image.getAttribute("src") === url) { // set only once loaded: show it again
    vui.image.hidden = false;
    vui.waiting.hidden = true;
    return;
  }
  const next = new Image();
  next.onload = () => {
    if (vui.image.dataset.seq !== String(frame.seq)) return; // a newer one was asked for
    vui.image.src = url;
    vui.image.hidden = false;
    vui.waiting.hidden = true;
  };
  next.onerror = () => {
    if (vui.image.dataset.seq !== String(frame.seq)) return;
    vui.image.hidden = true;
    vui.image.removeAttribute("src");
    vui.waiting.textContent = "This frame's picture is no longer kept.";
    vui.waiting.hidden = false;
  };
  next.src = url;
}

export function pinFrame(frame) {
  feed.pinned = frame;
  showViewer();
}

export function followLive() {
  feed.pinned = null;
  showViewer();
}

/** A stream ended (stopped, failed or deleted) while it was open. */
export function streamEnded(status, doc) {
  if (doc) applyStream(doc);
  else if (status === "deleted") showStreamError("This stream was deleted.");
  showViewer();
  loadStreams();
}

export function setupStreamView() {
  vui.follow.addEventListener("click", followLive);
  vui.stop.addEventListener("click", async () => {
    const id = feed.id;
    vui.stop.disabled = true;
    vui.stop.textContent = "Stopping…";
    try {
      await api(`/streams/${encodeURIComponent(id)}/stop`, { method: "POST" });
      toast("Stopping after the current window…");
    } catch (error) {
      toast(error.message);
      vui.stop.disabled = false;
      vui.stop.textContent = "Stop";
      if (error.status === 409 && feed.id === id) openStream(id);
    }
  });
  vui.remove.addEventListener("click", async () => {
    const id = feed.id;
    const name = feed.doc ? streamName(feed.doc) : id;
    if (!confirm(`Delete the stream “${name}” with its frames and events? A running stream is stopped first.`)) return;
    vui.remove.disabled = true;
    try {
      await api(`/streams/${encodeURIComponent(id)}`, { method: "DELETE" });
      toast("Stream deleted");
      location.hash = "#/";
      loadStreams();
    } catch (error) {
      toast(error.message);
    } finally {
      vui.remove.disabled = false;
    }
  });
}
