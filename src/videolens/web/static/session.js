// The open session: its document, header, facts and frames.

import { API, api, withKey } from "./api.js";
import { renderFactList, renderHead, renderUnavailable, showAlert } from "./detail_view.js";
import { toast, ui } from "./dom.js";
import { formatTime, formatWhen, videoName } from "./format.js";
import { renderProgress, startLive, stopLive } from "./progress.js";
import { closeDrawer, loadSessions, markCurrentSession } from "./sessions.js";
import { state } from "./state.js";
import { renderSessionTools, resetSessionTools } from "./session_tools.js";
import { renderSummary } from "./summary.js";
import { updateTabs } from "./tabs.js";
import { addFrames, renderFrames, renderShots } from "./timeline.js";

const head = { title: ui.sessionTitle, meta: ui.sessionMeta, status: ui.sessionStatus };

export function resetSessionView() {
  stopLive();
  state.doc = null;
  state.progress = null;
  for (const map of [state.frames, state.cards, state.speechCards, state.marks]) map.clear();
  state.currentIndex = null;
  state.searchHits = null;
  for (const el of [ui.moments, ui.scrubberMarks, ui.scrubberShots, ui.chatLog, ui.facts]) el.replaceChildren();
  ui.momentFilter.value = "";
  state.filter = "";
  ui.sessionError.hidden = true;
  ui.analysis.hidden = true;
  ui.player.removeAttribute("src");
  ui.player.load();
  ui.momentsCount.textContent = "";
  // The header too: while the next session loads, nothing of this one may show.
  for (const el of [ui.sessionTitle, ui.sessionMeta, ui.sessionStatus]) el.textContent = "";
  ui.sessionStatus.hidden = true;
  showSessionParts(false);
  resetSessionTools();
}

/** The player, moments, chat and session actions: shown only once a session has been read, so
 * a session that cannot be read never shows the previous one's data or a working chat box. */
function showSessionParts(shown) {
  ui.workspace.hidden = !shown;
  for (const el of [ui.deleteButton, ui.renameButton, ui.exportMenu, ui.rerunMenu]) el.hidden = !shown;
  ui.chatInput.disabled = !shown;
}

export async function openSession(id) {
  if (id !== state.sessionId) {
    resetSessionView();
    state.sessionId = id;
  }
  markCurrentSession();
  ui.welcome.hidden = true;
  ui.sessionView.hidden = false;
  closeDrawer();
  let doc;
  try {
    doc = await api(`/sessions/${encodeURIComponent(id)}`);
  } catch (error) {
    if (state.sessionId !== id) return;
    resetSessionView();
    renderUnavailable(head, "Session unavailable");
    ui.cancelButton.hidden = true;
    showSessionError(error.status === 404 ? "This session does not exist (any more)." : error.message);
    return;
  }
  if (state.sessionId !== id) return; // the user moved on meanwhile
  showSessionParts(true);
  const src = withKey(`${API}/sessions/${encodeURIComponent(id)}/video`);
  if (ui.player.getAttribute("src") !== src) ui.player.src = src;
  applyDocument(doc);
  if (doc.status === "running") startLive(id);
  else await refreshFrames(id);
}

/** Every analysed frame of the session, read page by page from ``/frames``. */
async function loadFrames(id) {
  const frames = [];
  const limit = 500;
  for (let offset = 0; ; offset += limit) {
    const page = await api(`/sessions/${encodeURIComponent(id)}/frames?offset=${offset}&limit=${limit}`);
    const batch = Array.isArray(page) ? page : page?.frames || [];
    frames.push(...batch);
    const total = Array.isArray(page) ? batch.length : page?.total ?? frames.length;
    if (!batch.length || frames.length >= total) return frames;
  }
}

export async function refreshFrames(id) {
  try {
    const frames = await loadFrames(id);
    if (state.sessionId !== id) return;
    addFrames(frames);
    renderFacts();
    renderShots();
  } catch (error) {
    if (state.sessionId === id && error.status !== 404) showSessionError(error.message);
  }
}

export function applyDocument(doc) {
  state.doc = doc;
  // The session document counts its frames; the `state` event and `/frames` carry them.
  if (Array.isArray(doc.frames)) for (const frame of doc.frames) state.frames.set(frame.index, frame);
  renderHeader();
  renderFacts();
  renderFrames();
  renderShots();
  renderSummary();
  if (doc.progress) state.progress = doc.progress;
  renderProgress();
  updateTabs();
}

export function renderHeader() {
  const doc = state.doc;
  const video = doc.video || {};
  const meta = [];
  if (video.duration_s) meta.push(formatTime(video.duration_s));
  if (video.width && video.height) meta.push(`${video.width}×${video.height}`);
  // "analysed" only once it is: a running analysis says when it started.
  if (doc.status === "running") {
    if (doc.created_at) meta.push(`started ${formatWhen(doc.created_at)}`);
  } else if (doc.finished_at || doc.created_at) {
    meta.push(`${doc.status === "completed" ? "analysed" : doc.status} ${formatWhen(doc.finished_at || doc.created_at)}`);
  }
  if (doc.title) meta.push(videoName(doc));
  renderHead(head, { title: doc.title || videoName(doc), tooltip: videoName(doc), meta, status: doc.status });
  ui.cancelButton.hidden = doc.status !== "running";
  renderSessionTools();
  if (doc.status === "failed") {
    showSessionError(doc.error || "The analysis failed.");
  } else if (doc.status === "cancelled") {
    showSessionError("The analysis was cancelled; the moments found before that are kept.");
  } else {
    ui.sessionError.hidden = true;
  }
}

export function showSessionError(message) {
  showAlert(ui.sessionError, message);
}

export function renderFacts() {
  const { video = {}, coverage, options = {} } = state.doc;
  const facts = [];
  if (video.fps) facts.push(["Frame rate", `${Number(video.fps).toFixed(video.fps % 1 ? 2 : 0)} fps`]);
  if (video.codec) facts.push(["Codec", video.codec]);
  if (coverage?.frames !== undefined) facts.push(["Moments", String(coverage.frames)]);
  if (coverage?.max_gap_s !== undefined) facts.push(["Largest gap", `${coverage.max_gap_s} s`]);
  if (options.strategy) facts.push(["Sampling", options.strategy]);
  const models = [...new Set([...state.frames.values()].map((f) => f.model).filter(Boolean))];
  if (models.length) facts.push(["Model", models.join(", ")]);
  else if (options.backend) facts.push(["Backend", options.backend]);
  renderFactList(ui.facts, facts);
}

/** Cancel and delete for the open session. */
export function setupSessionActions() {
  ui.cancelButton.addEventListener("click", async () => {
    ui.cancelButton.disabled = true;
    try {
      await api(`/sessions/${encodeURIComponent(state.sessionId)}/cancel`, { method: "POST" });
      toast("Cancelling…");
    } catch (error) {
      toast(error.message);
    } finally {
      ui.cancelButton.disabled = false;
    }
  });
  ui.deleteButton.addEventListener("click", async () => {
    const name = state.doc ? videoName(state.doc) : state.sessionId;
    if (!confirm(`Delete the session for “${name}” and everything it stored?`)) return;
    try {
      await api(`/sessions/${encodeURIComponent(state.sessionId)}`, { method: "DELETE" });
      toast("Session deleted");
      location.hash = "#/";
      loadSessions();
    } catch (error) {
      toast(error.message);
    }
  });
}
