// videolens web UI: upload, live analysis progress, player + timeline of moments, chat, summary.
// Plain ES module, no framework. Everything the server sends is inserted as text, never as HTML.

const API = "/v1";
const KEY_STORAGE = "videolens.apiKey";
const POLL_MS = 2000; // fallback only; two requests a poll stay well inside the rate limit

const $ = (id) => document.getElementById(id);

const ui = {
  apiKeyForm: $("api-key-form"), apiKeyInput: $("api-key-input"),
  sidebar: $("sidebar"), sessionsToggle: $("sessions-toggle"),
  dropzone: $("dropzone"), fileInput: $("file-input"),
  uploadStatus: $("upload-status"), uploadLabel: $("upload-label"),
  uploadNumbers: $("upload-numbers"), uploadProgress: $("upload-progress"),
  uploadAbort: $("upload-abort"), uploadError: $("upload-error"),
  sessionList: $("session-list"), sessionsEmpty: $("sessions-empty"),
  sessionsRefresh: $("sessions-refresh"),
  welcome: $("welcome"), sessionView: $("session-view"),
  sessionTitle: $("session-title"), sessionMeta: $("session-meta"),
  sessionStatus: $("session-status"), cancelButton: $("cancel-button"),
  deleteButton: $("delete-button"),
  analysis: $("analysis"), analysisStage: $("analysis-stage"),
  analysisNumbers: $("analysis-numbers"), analysisProgress: $("analysis-progress"),
  analysisDetail: $("analysis-detail"), sessionError: $("session-error"),
  player: $("player"), scrubberTrack: $("scrubber-track"), scrubberShots: $("scrubber-shots"),
  scrubberMarks: $("scrubber-marks"), scrubberHead: $("scrubber-head"), facts: $("facts"),
  tabs: [...document.querySelectorAll('[role="tab"]')],
  momentsCount: $("moments-count"), momentFilter: $("moment-filter"),
  moments: $("moments"), momentsEmpty: $("moments-empty"),
  chatLog: $("chat-log"), chatForm: $("chat-form"), chatInput: $("chat-input"),
  summaryText: $("summary-text"), chaptersTitle: $("chapters-title"), chapters: $("chapters"),
  toast: $("toast"),
};

const state = {
  apiKey: localStorage.getItem(KEY_STORAGE) || "",
  features: { chat: null, search: null }, // null: unknown (no OpenAPI document), then probed
  sessionId: null,
  doc: null,
  frames: new Map(), // index -> frame
  cards: new Map(), // index -> <li>
  marks: new Map(), // index -> <button>
  progress: null,
  live: null, // { socket, timer, closed }
  upload: null, // XMLHttpRequest in flight
  currentIndex: null,
  filter: "",
  searchHits: null, // Set of frame indexes from server search, or null
};

// ---------------------------------------------------------------- helpers

/** Build an element: h("div", {class: "x", onclick: fn}, child, "text"). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** ``mm:ss`` or ``h:mm:ss``, like the CLI. */
export function formatTime(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${pad(minutes)}:${pad(secs)}` : `${pad(minutes)}:${pad(secs)}`;
}

/** Seconds from ``mm:ss`` / ``h:mm:ss``; NaN when it is not a timestamp. */
export function parseTime(text) {
  const parts = text.split(":").map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((n) => !Number.isFinite(n))) return NaN;
  return parts.reduce((total, n) => total * 60 + n, 0);
}

function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatEta(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 1) return "almost done";
  if (seconds < 60) return `about ${Math.ceil(seconds)} s left`;
  return `about ${Math.ceil(seconds / 60)} min left`;
}

function formatWhen(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const seconds = (Date.now() - date.getTime()) / 1000;
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

const basename = (path) => String(path || "").split(/[\\/]/).pop() || "";

function videoName(doc) {
  const video = doc.video || {};
  return (
    doc.filename || doc.original_filename || video.filename || video.original_filename ||
    video.name || basename(typeof doc.video === "string" ? doc.video : video.path) || doc.session_id
  );
}

let toastTimer = 0;
function toast(message) {
  ui.toast.textContent = message;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { ui.toast.hidden = true; }, 3500);
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, message, code = "", field = "") {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The API's error body ``{"error": {code, message, field}}`` (or FastAPI's ``detail``). */
function apiError(status, body, fallback) {
  const error = body && typeof body === "object" ? body.error || body : null;
  let message = "";
  if (error && typeof error === "object") {
    if (typeof error.message === "string") message = error.message;
    else if (typeof error.detail === "string") message = error.detail;
    else if (Array.isArray(error.detail)) message = error.detail.map((d) => d.msg).join("; ");
  } else if (typeof body === "string") {
    message = body.trim().slice(0, 300);
  }
  return new ApiError(status, message || fallback || `request failed (HTTP ${status})`,
    error?.code || "", error?.field || "");
}

function authHeaders() {
  return state.apiKey ? { "X-API-Key": state.apiKey } : {};
}

/** A URL for elements that cannot send headers (<img>, <video>, WebSocket). */
function withKey(path) {
  if (!state.apiKey) return path;
  return `${path}${path.includes("?") ? "&" : "?"}api_key=${encodeURIComponent(state.apiKey)}`;
}

async function readBody(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) return response.json().catch(() => null);
  return response.text().catch(() => "");
}

async function api(path, options = {}) {
  const headers = { ...authHeaders(), ...(options.headers || {}) };
  let response;
  try {
    response = await fetch(`${API}${path}`, { ...options, headers });
  } catch {
    throw new ApiError(0, "Cannot reach the videolens server. Is it still running?");
  }
  if (response.status === 401) needApiKey();
  if (!response.ok) throw apiError(response.status, await readBody(response));
  if (response.status === 204) return null;
  return readBody(response);
}

function needApiKey() {
  ui.apiKeyForm.hidden = false;
  ui.apiKeyInput.value = state.apiKey;
  if (!state.apiKey) ui.apiKeyInput.focus();
}

/** Which optional endpoints exist (chat, search), from the server's OpenAPI document. */
async function detectFeatures() {
  try {
    const response = await fetch("/openapi.json");
    if (!response.ok) return;
    const paths = Object.keys((await response.json()).paths || {});
    state.features.chat = paths.some((p) => /\/sessions\/\{[^}]+\}\/chat$/.test(p));
    state.features.search = paths.some((p) => /\/sessions\/\{[^}]+\}\/search$/.test(p));
  } catch {
    // No OpenAPI document: leave the features unknown and find out on first use.
  }
  updateTabs();
}

// ---------------------------------------------------------------- upload

function uploadOptions() {
  const fields = {};
  for (const id of ["opt-strategy", "opt-interval", "opt-max-frames", "opt-backend", "opt-prompt"]) {
    const input = $(id);
    const value = input.value.trim();
    if (value) fields[input.name] = value;
  }
  return fields;
}

function showUploadError(title, detail) {
  ui.uploadError.replaceChildren(h("strong", {}, title), h("span", { class: "alert-detail" }, detail));
  ui.uploadError.hidden = false;
}

function setUploadBusy(busy) {
  ui.dropzone.dataset.state = busy ? "busy" : "idle";
  ui.fileInput.disabled = busy;
  ui.uploadStatus.hidden = !busy;
}

function upload(file) {
  if (state.upload) return;
  ui.uploadError.hidden = true;
  if (file.size === 0) {
    showUploadError(`“${file.name}” is empty.`, "Choose a video file with some content.");
    return;
  }
  const form = new FormData();
  form.append("file", file, file.name);
  for (const [name, value] of Object.entries(uploadOptions())) form.append(name, value);

  const xhr = new XMLHttpRequest();
  state.upload = xhr;
  const started = performance.now();
  setUploadBusy(true);
  ui.uploadLabel.textContent = `Uploading ${file.name}`;
  ui.uploadProgress.value = 0;
  ui.uploadProgress.max = 100;
  ui.uploadNumbers.textContent = `0 / ${formatBytes(file.size)}`;

  xhr.upload.onprogress = (event) => {
    const total = event.lengthComputable ? event.total : file.size;
    ui.uploadProgress.value = total ? (100 * event.loaded) / total : 0;
    const rate = event.loaded / Math.max(0.001, (performance.now() - started) / 1000);
    ui.uploadNumbers.textContent =
      `${formatBytes(event.loaded)} / ${formatBytes(total)} · ${formatBytes(rate)}/s`;
  };
  xhr.upload.onload = () => {
    ui.uploadProgress.value = 100;
    ui.uploadLabel.textContent = "Upload complete, checking the video…";
  };
  const finish = () => { state.upload = null; setUploadBusy(false); ui.fileInput.value = ""; };
  xhr.onerror = () => {
    finish();
    showUploadError(`Could not upload “${file.name}”.`, "The connection to the server failed.");
  };
  xhr.onabort = () => { finish(); toast("Upload cancelled"); };
  xhr.onload = () => {
    finish();
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch { body = xhr.responseText; }
    if (xhr.status === 401) needApiKey();
    if (xhr.status >= 200 && xhr.status < 300 && body && body.session_id) {
      loadSessions();
      location.hash = `#/sessions/${body.session_id}`;
      return;
    }
    const error = apiError(xhr.status, body);
    showUploadError(`“${file.name}” was rejected.`, error.message);
  };
  xhr.open("POST", `${API}/videos`);
  for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
  xhr.send(form);
}

function setupUpload() {
  ui.fileInput.addEventListener("change", () => {
    if (ui.fileInput.files.length) upload(ui.fileInput.files[0]);
  });
  ui.uploadAbort.addEventListener("click", () => state.upload?.abort());
  // Dropping anywhere on the page uploads; the drop zone lights up while dragging.
  let depth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  window.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    if (!state.upload) ui.dropzone.dataset.state = "over";
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0 && !state.upload) ui.dropzone.dataset.state = "idle";
  });
  window.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  window.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    if (state.upload) return;
    ui.dropzone.dataset.state = "idle";
    const files = event.dataTransfer.files;
    if (files.length > 1) toast("One video at a time: uploading the first file");
    if (files.length) upload(files[0]);
  });
}

// ---------------------------------------------------------------- sessions list

async function loadSessions() {
  let body;
  try {
    body = await api("/sessions");
  } catch (error) {
    if (error.status === 401) {
      ui.sessionList.replaceChildren();
      ui.sessionsEmpty.textContent = "This server needs an API key: enter it at the top right.";
      ui.sessionsEmpty.hidden = false;
    } else {
      toast(`Sessions: ${error.message}`);
    }
    return;
  }
  ui.sessionsEmpty.textContent = "No sessions yet. Drop a video to start.";
  const sessions = Array.isArray(body) ? body : body?.sessions || body?.items || [];
  ui.sessionsEmpty.hidden = sessions.length > 0;
  ui.sessionList.replaceChildren(...sessions.map(sessionItem));
}

function sessionItem(session) {
  const name = videoName(session);
  const bits = [formatWhen(session.created_at)];
  if (session.duration_s) bits.push(formatTime(session.duration_s));
  if (session.frames) bits.push(`${session.frames} moments`);
  const current = session.session_id === state.sessionId;
  return h("li", {},
    h("a", {
      class: "session-item", href: `#/sessions/${session.session_id}`,
      "aria-current": current ? "page" : null, title: session.error || name,
      dataset: { sessionId: session.session_id },
    },
    h("span", { class: "session-name" }, name),
    h("span", { class: "badge", dataset: { status: session.status } }, session.status),
    h("span", { class: "session-sub" }, bits.filter(Boolean).join(" · "))));
}

function markCurrentSession() {
  for (const link of ui.sessionList.querySelectorAll(".session-item")) {
    if (link.dataset.sessionId === state.sessionId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// ---------------------------------------------------------------- session view

function resetSessionView() {
  stopLive();
  state.doc = null;
  state.progress = null;
  state.frames.clear();
  state.cards.clear();
  state.marks.clear();
  state.currentIndex = null;
  state.searchHits = null;
  ui.moments.replaceChildren();
  ui.scrubberMarks.replaceChildren();
  ui.scrubberShots.replaceChildren();
  ui.chatLog.replaceChildren();
  ui.facts.replaceChildren();
  ui.momentFilter.value = "";
  state.filter = "";
  ui.sessionError.hidden = true;
  ui.analysis.hidden = true;
  ui.player.removeAttribute("src");
  ui.player.load();
}

async function openSession(id) {
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
    ui.sessionTitle.textContent = "Session unavailable";
    ui.sessionMeta.textContent = "";
    ui.sessionStatus.hidden = true;
    ui.deleteButton.hidden = true;
    ui.cancelButton.hidden = true;
    showSessionError(error.status === 404 ? "This session does not exist (any more)." : error.message);
    return;
  }
  if (state.sessionId !== id) return; // the user moved on meanwhile
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

async function refreshFrames(id) {
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

function applyDocument(doc) {
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

function renderHeader() {
  const doc = state.doc;
  const video = doc.video || {};
  ui.sessionTitle.textContent = videoName(doc);
  ui.sessionTitle.title = ui.sessionTitle.textContent;
  const meta = [];
  if (video.duration_s) meta.push(formatTime(video.duration_s));
  if (video.width && video.height) meta.push(`${video.width}×${video.height}`);
  if (doc.created_at) meta.push(`analysed ${formatWhen(doc.created_at)}`);
  ui.sessionMeta.textContent = meta.join(" · ");
  ui.sessionStatus.hidden = false;
  ui.sessionStatus.textContent = doc.status;
  ui.sessionStatus.dataset.status = doc.status;
  ui.cancelButton.hidden = doc.status !== "running";
  ui.deleteButton.hidden = false;
  if (doc.status === "failed") {
    showSessionError(doc.error || "The analysis failed.");
  } else if (doc.status === "cancelled") {
    showSessionError("The analysis was cancelled; the moments found before that are kept.");
  } else {
    ui.sessionError.hidden = true;
  }
}

function showSessionError(message) {
  ui.sessionError.replaceChildren(h("span", {}, message));
  ui.sessionError.hidden = false;
}

function renderFacts() {
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
  ui.facts.replaceChildren(...facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))));
}

function duration() {
  const fromPlayer = ui.player.duration;
  if (Number.isFinite(fromPlayer) && fromPlayer > 0) return fromPlayer;
  return state.doc?.video?.duration_s || state.progress?.video_duration_s || 0;
}

/** Shots as coloured bands under the moment marks (dominant colour of each shot's first frame). */
function renderShots() {
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

// ---------------------------------------------------------------- moments

function sortedFrames() {
  return [...state.frames.values()].sort((a, b) => a.timestamp_s - b.timestamp_s || a.index - b.index);
}

function imageUrl(frame) {
  return withKey(frame.image_url || `${API}/sessions/${encodeURIComponent(state.sessionId)}/frames/${frame.index}/image`);
}

function momentCard(frame) {
  const chips = [];
  for (const text of frame.text || []) chips.push(h("span", { class: "chip chip-text", title: "On-screen text" }, text));
  if (frame.shot_start || frame.reason === "shot") chips.push(h("span", { class: "chip chip-shot" }, "new shot"));
  for (const item of [...(frame.people || []), ...(frame.objects || []), ...(frame.actions || [])]) {
    chips.push(h("span", { class: "chip" }, item));
  }
  const colours = (frame.colours || []).slice(0, 4).map((c) =>
    h("span", { class: "swatch", style: `background:${cssColour(c.hex)}`, title: c.name || c.hex }));
  const time = formatTime(frame.timestamp_s);
  const button = h("button", {
    type: "button", class: "moment", dataset: { index: frame.index, t: frame.timestamp_s },
    "aria-label": `Seek to ${time}: ${frame.description || "moment"}`,
    onclick: () => seek(frame.timestamp_s, frame.index),
  },
  h("span", { class: "moment-thumb" },
    thumbnail(imageUrl(frame)),
    h("time", { class: "moment-time", datetime: `PT${frame.timestamp_s}S` }, time)),
  h("span", { class: "moment-body" },
    h("p", { class: "moment-desc" }, frame.description || "No description."),
    chips.length || colours.length
      ? h("span", { class: "chips" }, colours.length ? h("span", { class: "swatches", "aria-hidden": "true" }, colours) : null, chips)
      : null));
  return h("li", { dataset: { index: frame.index } }, button);
}

/** A lazy thumbnail that retries a few times (a burst of thumbnails may meet the rate limit). */
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

/** Keyed update: existing cards are moved, not rebuilt, so thumbnails never reload. */
function renderFrames() {
  const frames = sortedFrames();
  const total = duration();
  let previous = null;
  let shown = 0;
  for (const frame of frames) {
    let card = state.cards.get(frame.index);
    if (!card) {
      card = momentCard(frame);
      state.cards.set(frame.index, card);
    }
    const visible = matchesFilter(frame);
    card.hidden = !visible;
    if (visible) shown += 1;
    const expected = previous ? previous.nextSibling : ui.moments.firstChild;
    if (expected !== card) ui.moments.insertBefore(card, expected);
    previous = card;

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

function addFrames(frames) {
  for (const frame of frames || []) state.frames.set(frame.index, frame);
  renderFrames();
}

function setupFilter() {
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

// ---------------------------------------------------------------- player

function seek(seconds, index = null) {
  const target = Math.max(0, Number(seconds) || 0);
  const apply = () => { ui.player.currentTime = target; };
  if (ui.player.readyState >= 1) apply();
  else ui.player.addEventListener("loadedmetadata", apply, { once: true });
  if (index !== null) setCurrent(index, false);
}

function frameAt(seconds) {
  let best = null;
  for (const frame of state.frames.values()) {
    if (frame.timestamp_s <= seconds + 0.05 && (!best || frame.timestamp_s > best.timestamp_s)) best = frame;
  }
  return best;
}

function setCurrent(index, scroll) {
  if (state.currentIndex === index) return;
  state.cards.get(state.currentIndex)?.firstChild.removeAttribute("aria-current");
  state.marks.get(state.currentIndex)?.removeAttribute("aria-current");
  state.currentIndex = index;
  const card = state.cards.get(index);
  card?.firstChild.setAttribute("aria-current", "true");
  state.marks.get(index)?.setAttribute("aria-current", "true");
  if (scroll && card && !card.hidden) card.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function highlightCurrent() {
  const frame = frameAt(ui.player.currentTime || 0);
  if (frame) setCurrent(frame.index, !ui.player.paused);
}

function setupPlayer() {
  const update = () => {
    const total = duration();
    ui.scrubberHead.style.left = total ? `${(100 * ui.player.currentTime) / total}%` : "0";
    $("scrubber-now").textContent = total ? formatTime(ui.player.currentTime) : "";
    $("scrubber-end").textContent = total ? formatTime(total) : "";
    highlightCurrent();
  };
  ui.player.addEventListener("timeupdate", update);
  ui.player.addEventListener("seeked", update);
  ui.player.addEventListener("loadedmetadata", () => { renderFrames(); renderShots(); update(); });
  ui.scrubberTrack.addEventListener("click", (event) => {
    if (event.target.closest(".scrubber-mark")) return;
    const box = ui.scrubberTrack.getBoundingClientRect();
    seek(((event.clientX - box.left) / box.width) * duration());
  });
}

// ---------------------------------------------------------------- live progress

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

function renderProgress() {
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
  if (planned) {
    ui.analysisProgress.max = planned;
    ui.analysisProgress.value = Math.min(described, planned);
    ui.analysisNumbers.textContent = `${described} / ${planned} frames`;
  } else {
    ui.analysisProgress.removeAttribute("value"); // indeterminate
    ui.analysisNumbers.textContent = "";
  }
  const detail = [];
  if (progress?.segments_total) detail.push(`segments ${progress.segments_done}/${progress.segments_total}`);
  if (progress?.frames_sampled) detail.push(`${progress.frames_sampled} frames sampled`);
  if (progress?.elapsed_s) detail.push(`${formatTime(progress.elapsed_s)} elapsed`);
  const eta = formatEta(progress?.eta_s);
  if (eta) detail.push(eta);
  ui.analysisDetail.textContent = detail.join(" · ");
}

function startLive(id) {
  stopLive();
  const live = { socket: null, timer: 0, closed: false, final: false };
  state.live = live;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = withKey(`${scheme}://${location.host}${API}/sessions/${encodeURIComponent(id)}/events`);
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
    if (live.closed) return;
    handleEvent(id, live, message);
  };
  socket.onclose = () => {
    live.socket = null;
    if (!live.closed && !live.final) poll(id, live); // the socket dropped mid-run: poll instead
  };
}

function handleEvent(id, live, message) {
  switch (message.type) {
    case "state":
    case "session":
      if (message.session || message.document) applyDocument(message.session || message.document);
      else if (message.status && state.doc) { state.doc.status = message.status; renderHeader(); }
      if (message.progress) { state.progress = message.progress; renderProgress(); }
      if (message.frames) addFrames(message.frames);
      break;
    case "progress":
      state.progress = message.progress || message;
      renderProgress();
      break;
    case "frames":
      addFrames(message.frames);
      renderFacts();
      renderShots();
      break;
    case "final":
    case "done":
      live.final = true;
      finishLive(id, live);
      break;
    case "error":
      if (message.message) showSessionError(message.message);
      break;
    default:
      break;
  }
}

async function finishLive(id, live) {
  live.closed = true;
  live.socket?.close();
  clearTimeout(live.timer);
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

function poll(id, live) {
  if (live.closed) return;
  live.timer = setTimeout(async () => {
    if (live.closed) return;
    try {
      const doc = await api(`/sessions/${encodeURIComponent(id)}`);
      if (live.closed || state.sessionId !== id) return;
      applyDocument(doc);
      if (doc.status !== "running") { finishLive(id, live); return; }
      await refreshFrames(id);
    } catch (error) {
      if (error.status === 404) { live.closed = true; showSessionError("This session was deleted."); return; }
    }
    poll(id, live);
  }, POLL_MS);
}

function stopLive() {
  const live = state.live;
  if (!live) return;
  live.closed = true;
  clearTimeout(live.timer);
  live.socket?.close();
  state.live = null;
}

// ---------------------------------------------------------------- tabs, chat, summary

function selectTab(tab, focus = false) {
  for (const other of ui.tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (focus) tab.focus();
}

function setupTabs() {
  for (const tab of ui.tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const visible = ui.tabs.filter((t) => !t.hidden);
      const at = visible.indexOf(tab);
      const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: visible.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      selectTab(visible[(moves[event.key] + visible.length) % visible.length], true);
    });
  }
}

function updateTabs() {
  const doc = state.doc;
  const chatTab = $("tab-chat");
  const summaryTab = $("tab-summary");
  chatTab.hidden = state.features.chat === false || !doc || doc.status === "running";
  summaryTab.hidden = !doc || !(doc.summary || (doc.chapters && doc.chapters.length));
  const selected = ui.tabs.find((t) => t.getAttribute("aria-selected") === "true");
  if (!selected || selected.hidden) selectTab($("tab-moments"));
}

function renderSummary() {
  const { summary, chapters = [] } = state.doc || {};
  const text = typeof summary === "string" ? summary : summary?.text || "";
  ui.summaryText.replaceChildren(...text.split(/\n{2,}/).filter(Boolean).map((p) => h("p", {}, withCitations(p))));
  ui.chaptersTitle.hidden = !chapters?.length;
  ui.chapters.replaceChildren(...(chapters || []).map((chapter) => {
    const start = chapter.start_s ?? chapter.start ?? 0;
    return h("li", {}, h("button", { type: "button", onclick: () => seek(start) },
      h("time", {}, formatTime(start)), h("span", {}, chapter.title || "")));
  }));
}

/** Text with ``[mm:ss]`` / ``[h:mm:ss]`` citations turned into buttons that seek the player. */
function withCitations(text) {
  const parts = [];
  const pattern = /\[(\d{1,2}(?::\d{2}){1,2})\]/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const seconds = parseTime(match[1]);
    if (Number.isNaN(seconds)) continue;
    parts.push(text.slice(last, match.index));
    parts.push(h("button", {
      type: "button", class: "cite", "aria-label": `Seek to ${match[1]}`,
      onclick: () => seek(seconds, frameAt(seconds)?.index ?? null),
    }, match[1]));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function chatMessage(role, text) {
  const el = h("div", { class: "chat-msg", dataset: { role } });
  el.replaceChildren(...withCitations(text));
  ui.chatLog.append(el);
  el.scrollIntoView({ block: "end" });
  return el;
}

/**
 * One chunk of a chat answer (an NDJSON line or a server-sent event's data): ``{delta}`` to
 * append, ``{answer}`` (the checked, final text) to replace what streamed, or ``{error}``.
 * Data that is not JSON is a plain-text delta.
 */
function chatChunk(name, data) {
  if (data === "[DONE]") return {};
  let value;
  try { value = JSON.parse(data); } catch { return { delta: data }; }
  if (typeof value === "string") return { delta: value };
  if (name === "error" || value.type === "error" || value.error) {
    return { error: apiError(0, value, "the chat failed").message };
  }
  if (typeof value.answer === "string") return { answer: value.answer };
  return { delta: value.delta ?? value.text ?? value.content ?? value.token ?? "" };
}

async function ask(question) {
  const id = state.sessionId;
  chatMessage("user", question);
  const answer = chatMessage("assistant", "…");
  const button = ui.chatForm.querySelector("button");
  button.disabled = true;
  let text = "";
  const show = () => { answer.replaceChildren(...withCitations(text || "…")); };
  const take = (chunk) => {
    if (chunk.error) throw new ApiError(0, chunk.error);
    if (chunk.answer !== undefined) text = chunk.answer;
    else if (chunk.delta) text += chunk.delta;
  };
  try {
    const response = await fetch(`${API}/sessions/${encodeURIComponent(id)}/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream, text/plain, application/json", ...authHeaders() },
      body: JSON.stringify({ question }),
    });
    if (!response.ok) {
      const error = apiError(response.status, await readBody(response));
      // A 404 from a server without the chat route (rather than for a missing session).
      if (response.status === 404 && state.features.chat !== true) {
        state.features.chat = false;
        updateTabs();
        toast("Chat is not available on this server.");
        answer.remove();
        return;
      }
      throw error;
    }
    const type = response.headers.get("content-type") || "";
    if (type.includes("application/json")) {
      take(chatChunk("", JSON.stringify(await response.json())));
      show();
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const sse = type.includes("text/event-stream");
    const ndjson = /ndjson|jsonl|json-seq/.test(type);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const chunk = decoder.decode(value, { stream: true });
      if (ndjson) {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop();
        for (const line of lines) if (line.trim()) take(chatChunk("", line));
        show();
        continue;
      }
      if (!sse) { text += chunk; show(); continue; }
      buffer += chunk;
      const events = buffer.split(/\r?\n\r?\n/);
      buffer = events.pop();
      for (const event of events) {
        const lines = event.split(/\r?\n/);
        const name = lines.find((l) => l.startsWith("event:"))?.slice(6).trim() || "";
        const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
        if (data) take(chatChunk(name, data));
      }
      show();
    }
    if (ndjson && buffer.trim()) take(chatChunk("", buffer));
    show();
  } catch (error) {
    answer.dataset.role = "error";
    answer.replaceChildren(error.message || "The chat request failed.");
  } finally {
    button.disabled = false;
  }
}

function setupChat() {
  ui.chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = ui.chatInput.value.trim();
    if (!question) return;
    ui.chatInput.value = "";
    ask(question);
  });
  ui.chatInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      ui.chatForm.requestSubmit();
    }
  });
}

// ---------------------------------------------------------------- actions, routing, start

function setupActions() {
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
  ui.sessionsRefresh.addEventListener("click", loadSessions);
  ui.sessionsToggle.addEventListener("click", () => {
    const open = ui.sidebar.dataset.open !== "true";
    ui.sidebar.dataset.open = String(open);
    ui.sessionsToggle.setAttribute("aria-expanded", String(open));
    if (open) ui.sidebar.querySelector("#file-input, a, button")?.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && ui.sidebar.dataset.open === "true") {
      closeDrawer();
      ui.sessionsToggle.focus();
    }
  });
  ui.apiKeyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    state.apiKey = ui.apiKeyInput.value.trim();
    if (state.apiKey) localStorage.setItem(KEY_STORAGE, state.apiKey);
    else localStorage.removeItem(KEY_STORAGE);
    toast(state.apiKey ? "API key saved" : "API key removed");
    loadSessions();
    route();
  });
}

/** The sessions drawer (narrow screens only). */
function closeDrawer() {
  ui.sidebar.dataset.open = "false";
  ui.sessionsToggle.setAttribute("aria-expanded", "false");
}

function route() {
  const match = location.hash.match(/^#\/sessions\/([A-Za-z0-9_-]+)$/);
  if (match) {
    openSession(match[1]);
    return;
  }
  resetSessionView();
  state.sessionId = null;
  markCurrentSession();
  ui.sessionView.hidden = true;
  ui.welcome.hidden = false;
}

function start() {
  setupUpload();
  setupPlayer();
  setupFilter();
  setupTabs();
  setupChat();
  setupActions();
  if (state.apiKey) ui.apiKeyForm.hidden = false;
  window.addEventListener("hashchange", route);
  detectFeatures();
  loadSessions();
  route();
}

start();
