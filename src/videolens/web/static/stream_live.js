// Following the open live stream on its WebSocket (state, then frames, events and status as
// they come, then ``final``), with polling as a fallback when the socket drops.

import { api } from "./api.js";
import { follow, unfollow } from "./live_socket.js";
import { addEvents, addFrames, feed } from "./stream_feed.js";
import { applyProgress, applyStream, showStreamError, showViewer, streamEnded } from "./stream_view.js";
import { RUNNING } from "./streams.js";

const POLL_MS = 4000; // fallback only: two requests a poll stay well inside the rate limit

/** How the open stream is followed (``live.id`` is the stream's id). */
const STREAM_LIVE = {
  path: (id) => `/streams/${encodeURIComponent(id)}/ws`,
  on: {
    state: (message) => {
      applyStream(message.stream);
      newFrames(message.frames);
      addEvents(message.events);
    },
    frames: (message) => newFrames(message.frames),
    events: (message) => addEvents(message.events),
    status: (message, live) => {
      if (!message.progress) return;
      applyProgress(message.progress);
      if (message.progress.gaps !== live.gaps) {
        live.gaps = message.progress.gaps;
        reread(live.id, live);
      }
    },
    final: (message) => streamEnded(message.status, message.stream),
    error: (message, live) => {
      live.final = true; // refused (key, owner): polling would be refused as well
      showStreamError(message.error?.message || "The live updates were refused.");
    },
  },
  poll: (live) => poll(live.id, live),
  pollMs: POLL_MS,
  // ``gaps``: the gap count last pushed; the document (which lists them) is re-read on a change.
  extra: { gaps: undefined, reading: false },
};

export function followStream(id) {
  unfollowStream();
  feed.live = follow(STREAM_LIVE, id);
}

export function unfollowStream() {
  unfollow(feed.live);
  feed.live = null;
}

function newFrames(frames) {
  if (addFrames(frames) && !feed.pinned) showViewer();
}

/** Re-read the document: it lists the gaps, which the WebSocket only counts. */
async function reread(id, live) {
  if (live.reading) return;
  live.reading = true;
  try {
    const doc = await api(`/streams/${encodeURIComponent(id)}?timeline=0`);
    if (!live.closed && feed.id === id) applyStream(doc);
  } catch {
    // The socket keeps the page current; the next change tries again.
  } finally {
    live.reading = false;
  }
}

/** One round of the fallback: the document with its newest frames, and the events since the
 * newest one shown. */
async function poll(id, live) {
  try {
    const doc = await api(`/streams/${encodeURIComponent(id)}?timeline=20`);
    const newest = Math.max(0, ...[...feed.events.values()].map((e) => Number(e.at)));
    const since = newest ? `&since=${newest}` : "";
    const events = await api(`/streams/${encodeURIComponent(id)}/events?limit=1000${since}`);
    if (live.closed || feed.id !== id) { live.closed = true; return; }
    addEvents(events?.events);
    newFrames(doc.timeline);
    if (!RUNNING.has(doc.status)) {
      live.closed = true;
      streamEnded(doc.status, doc);
      return;
    }
    applyStream(doc);
  } catch (error) {
    if (error.status === 404) {
      live.closed = true;
      streamEnded("deleted", null);
    }
  }
}
