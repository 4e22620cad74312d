// Live analysis progress: the event WebSocket, with polling as a fallback.

import { api } from "./api.js";
import { ui } from "./dom.js";
import { formatEta, formatTime } from "./format.js";
import { follow, unfollow } from "./live_socket.js";
import { applyDocument, refreshFrames, renderFacts, showSessionError } from "./session.js";
import { loadSessions } from "./sessions.js";
import { state } from "./state.js";
import { addFrames, renderShots } from "./timeline.js";

const POLL_MS = 2000; // fallback only; two requests a poll stay well inside the rate limit
const TICK_MS = 1000; // the elapsed time counts on between the server's updates

/** When the last elapsed time came from the server (``base`` s at ``at`` ms), so it can tick. */
const clock = { base: null, at: 0, ticker: 0 };

/** Seconds the analysis has run: the server's last figure plus the time since it came, or,
 * before any, the time since the session was created. */
function elapsedNow() {
  const now = Date.now();
  if (clock.base !== null) return clock.base + (now - clock.at) / 1000;
  const created = Date.parse(state.doc?.created_at || "");
  return Number.isFinite(created) ? Math.max(0, (now - created) / 1000) : 0;
}

function takeElapsed(progress) {
  const base = progress?.elapsed_s;
  if (typeof base !== "number") return;
  // The server's figure moves only when its progress does: a stale one never sets the clock back.
  if (clock.base !== null && base <= elapsedNow()) return;
  clock.base = base;
  clock.at = Date.now();
}

function startTicking() {
  clearInterval(clock.ticker);
  clock.base = null;
  clock.ticker = setInterval(() => {
    if (state.doc?.status === "running") renderProgress();
  }, TICK_MS);
}

function stopTicking() {
  clearInterval(clock.ticker);
  clock.ticker = 0;
  clock.base = null;
}

const STAGES = {
  starting: "Starting",
  queued: "Waiting for a worker",
  probing: "Reading the video",
  sampling: "Sampling frames",
  analysing: "Describing frames",
  finalizing: "Saving results",
  completed: "Analysis complete",
  failed: "Analysis failed",
  cancelled: "Analysis cancelled",
};

export function renderProgress() {
  const status = state.doc?.status;
  const progress = state.progress;
  if (status !== "running" && !progress) { ui.analysis.hidden = true; return; }
  ui.analysis.hidden = false;
  const done = status && status !== "running";
  const stage = done ? status : progress?.stage || "starting";
  ui.analysisStage.textContent = STAGES[stage] || stage;
  ui.analysis.dataset.done = String(status === "completed");
  const described = progress?.frames_described ?? state.frames.size;
  const sampledAll = progress && progress.segments_total && progress.segments_done === progress.segments_total;
  const planned = sampledAll ? progress.frames_sampled : Math.max(progress?.frames_planned || 0, progress?.frames_sampled || 0);
  if (status === "completed") {
    const count = state.frames.size;
    ui.analysisProgress.max = 1;
    ui.analysisProgress.value = 1;
    ui.analysisNumbers.textContent = `${count} / ${count} frames`;
    const took = state.doc.timings?.total_s ?? progress?.elapsed_s;
    ui.analysisDetail.textContent = took ? `Finished in ${Number(took).toFixed(1)} s.` : "Finished.";
    return;
  }
  if (done) {
    ui.analysisProgress.max = Math.max(1, planned);
    ui.analysisProgress.value = described;
    ui.analysisNumbers.textContent = planned ? `${described} / ${planned} frames` : "";
    ui.analysisDetail.textContent = "";
    return;
  }
  const decoding = progress?.segments_total && progress.segments_done < progress.segments_total && !described;
  if (decoding) {
    // Before the first frame is described the decoding is what moves: count segments.
    ui.analysisProgress.max = progress.segments_total;
    ui.analysisProgress.value = progress.segments_done;
    ui.analysisNumbers.textContent = `${progress.segments_done} / ${progress.segments_total} segments decoded`;
  } else if (planned) {
    ui.analysisProgress.max = planned;
    ui.analysisProgress.value = Math.min(described, planned);
    ui.analysisNumbers.textContent = `${described} / ${planned} frames`;
  } else {
    ui.analysisProgress.removeAttribute("value"); // indeterminate
    ui.analysisNumbers.textContent = "";
  }
  const detail = [];
  if (progress?.segments_total && !decoding) detail.push(`${progress.segments_done}/${progress.segments_total} segments decoded`);
  if (progress?.frames_sampled) detail.push(`${progress.frames_sampled} frames sampled`);
  detail.push(`${formatTime(elapsedNow())} elapsed`);
  const eta = formatEta(progress?.eta_s);
  if (eta) detail.push(eta);
  ui.analysisDetail.textContent = detail.join(" · ");
}

/** How the open session's analysis is followed (``live.id`` is the session's id). */
const SESSION_LIVE = {
  path: (id) => `/sessions/${encodeURIComponent(id)}/events`,
  on: {
    state: (message) => applyDocument(message.session),
    progress: (message) => {
      state.progress = message.progress;
      takeElapsed(message.progress);
      renderProgress();
    },
    frames: (message) => {
      addFrames(message.frames);
      renderFacts();
      renderShots();
    },
    final: (_message, live) => finishLive(live.id, live),
    error: (message) => showSessionError(message.error?.message || "The live updates were refused."),
  },
  poll: (live) => poll(live.id, live),
  pollMs: POLL_MS,
};

export function startLive(id) {
  stopLive();
  startTicking();
  takeElapsed(state.progress);
  state.live = follow(SESSION_LIVE, id);
}

async function finishLive(id, live) {
  unfollow(live);
  try {
    const doc = await api(`/sessions/${encodeURIComponent(id)}`);
    if (state.sessionId !== id) return;
    applyDocument(doc);
    await refreshFrames(id);
  } catch (error) {
    if (state.sessionId === id) showSessionError(error.message);
  }
  loadSessions();
}

/** One round of the fallback: the document, then its frames. */
async function poll(id, live) {
  try {
    const doc = await api(`/sessions/${encodeURIComponent(id)}`);
    if (live.closed || state.sessionId !== id) { live.closed = true; return; }
    applyDocument(doc);
    if (doc.status !== "running") { finishLive(id, live); return; }
    await refreshFrames(id);
  } catch (error) {
    if (error.status === 404) { live.closed = true; showSessionError("This session was deleted."); }
  }
}

export function stopLive() {
  stopTicking();
  unfollow(state.live);
  state.live = null;
}
