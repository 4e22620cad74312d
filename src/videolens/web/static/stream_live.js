// Following the open live stream on its WebSocket (state, then frames, events and status as
// they come, then ``final``), with polling as a fallback when the socket drops.

import { API, api, withKey } from "./api.js";
import { addEvents, addFrames, feed } from "./stream_feed.js";
import { applyProgress, applyStream, showStreamError, showViewer, streamEnded } from "./stream_view.js";
import { RUNNING } from "./streams.js";

const POLL_MS = 4000; // fallback only: two requests a poll stay well inside the rate limit

export function followStream(id) {
  unfollowStream();
  // ``gaps``: the gap count last pushed; the document (which lists them) is re-read on a change.
  const live = { socket: null, timer: 0, closed: false, final: false, gaps: undefined, reading: false };
  feed.live = live;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = withKey(`${scheme}://${location.host}${API}/streams/${encodeURIComponent(id)}/ws`);
  let socket;
  try {
    socket = new WebSocket(url);
  } catch {
    poll(id, live);
    return;
  }
  live.socket = socket;
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (!live.closed) handle(id, live, message);
  };
  socket.onclose = () => {
    live.socket = null;
    if (!live.closed && !live.final) poll(id, live); // dropped mid-stream: poll instead
  };
}

export function unfollowStream() {
  const live = feed.live;
  if (!live) return;
  live.closed = true;
  clearTimeout(live.timer);
  live.socket?.close();
  feed.live = null;
}

function newFrames(frames) {
  if (addFrames(frames) && !feed.pinned) showViewer();
}

function handle(id, live, message) {
  switch (message.type) {
    case "state":
      applyStream(message.stream);
      newFrames(message.frames);
      addEvents(message.events);
      break;
    case "frames":
      newFrames(message.frames);
      break;
    case "events":
      addEvents(message.events);
      break;
    case "status":
      if (!message.progress) break;
      applyProgress(message.progress);
      if (message.progress.gaps !== live.gaps) {
        live.gaps = message.progress.gaps;
        reread(id, live);
      }
      break;
    case "final":
      live.final = live.closed = true;
      live.socket?.close();
      streamEnded(message.status, message.stream);
      break;
    case "error":
      live.final = true; // refused (key, owner): polling would be refused as well
      showStreamError(message.error?.message || "The live updates were refused.");
      break;
    default:
      break;
  }
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

function poll(id, live) {
  if (live.closed) return;
  live.timer = setTimeout(async () => {
    if (live.closed) return;
    try {
      const doc = await api(`/streams/${encodeURIComponent(id)}?timeline=20`);
      const newest = Math.max(0, ...[...feed.events.values()].map((e) => Number(e.at)));
      const since = newest ? `&since=${newest}` : "";
      const events = await api(`/streams/${encodeURIComponent(id)}/events?limit=1000${since}`);
      if (live.closed || feed.id !== id) return;
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
        return;
      }
    }
    poll(id, live);
  }, POLL_MS);
}
