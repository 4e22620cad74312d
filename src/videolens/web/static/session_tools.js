// What can be done with the open session besides watching it: export it (the formats of
// GET …/export and a contact sheet), rename it (PATCH …) and analyse its video again (POST …/rerun).

import { API, api, apiError, authHeaders, readBody } from "./api.js";
import { h, toast, ui } from "./dom.js";
import { videoName } from "./format.js";
import { loadSessions } from "./sessions.js";
import { state } from "./state.js";

/** The downloads: a label, the path under the session, the file's extension, and whether it
 * needs the session's speech (subtitles of what is said exist only when speech was heard). */
const EXPORTS = [
  { label: "JSON", path: "export?format=json", ext: "json" },
  { label: "Markdown", path: "export?format=markdown", ext: "md" },
  { label: "Moments as subtitles (SRT)", path: "export?format=moments-srt", ext: "srt" },
  { label: "Moments as subtitles (WebVTT)", path: "export?format=moments-vtt", ext: "vtt" },
  { label: "Speech subtitles (SRT)", path: "export?format=srt", ext: "srt", speech: true },
  { label: "Speech subtitles (WebVTT)", path: "export?format=vtt", ext: "vtt", speech: true },
  { label: "CSV", path: "export?format=csv", ext: "csv" },
  { label: "YouTube chapters", path: "export?format=youtube", ext: "txt" },
  { label: "Contact sheet (JPEG)", path: "sheet?format=jpeg", ext: "jpg" },
];

const sessionPath = (rest = "") => `/sessions/${encodeURIComponent(state.sessionId)}${rest}`;

/** A safe file name stem: the session's title or video name, without its extension. */
function fileStem() {
  const name = state.doc ? state.doc.title || videoName(state.doc) : state.sessionId;
  return String(name).replace(/\.[A-Za-z0-9]{2,4}$/, "").replace(/[^\w.-]+/g, "_").slice(0, 60) || "session";
}

/** Fetch with the key (a plain link cannot send it) and hand the browser the file to save. */
async function download(item, button) {
  ui.exportMenu.open = false;
  button.disabled = true;
  try {
    const response = await fetch(`${API}${sessionPath(`/${item.path}`)}`, { headers: authHeaders() });
    if (!response.ok) throw apiError(response.status, await readBody(response));
    const url = URL.createObjectURL(await response.blob());
    // Not in the document: its click is no click on the page (which would close menus).
    h("a", { href: url, download: `${fileStem()}.${item.ext}` }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000); // after the browser has taken it
  } catch (error) {
    toast(`${item.label}: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

export function resetSessionTools() {
  ui.exportMenu.open = false;
  ui.rerunMenu.open = false;
  ui.rerunError.hidden = true;
  closeRename();
}

/** Show what the open session allows: exports once it has ended, a rerun once it is stored. */
export function renderSessionTools() {
  const doc = state.doc;
  const running = doc?.status === "running";
  ui.exportMenu.hidden = !doc || running;
  ui.rerunMenu.hidden = !doc || running;
  ui.renameButton.hidden = !doc;
  ui.deleteButton.hidden = !doc;
  const spoken = doc?.speech?.status === "ok";
  for (const item of ui.exportLinks.querySelectorAll("[data-speech]")) item.hidden = !spoken;
}

function openRename() {
  ui.renameInput.value = state.doc?.title || videoName(state.doc || {});
  ui.renameForm.hidden = false;
  ui.renameButton.hidden = true;
  ui.sessionTitle.hidden = true;
  ui.renameInput.focus();
  ui.renameInput.select();
}

function closeRename() {
  ui.renameForm.hidden = true;
  ui.sessionTitle.hidden = false;
  ui.renameButton.hidden = !state.doc;
}

async function rename(event) {
  event.preventDefault();
  const id = state.sessionId;
  try {
    const doc = await api(sessionPath(), {
      method: "PATCH", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ title: ui.renameInput.value.trim() }),
    });
    if (state.sessionId !== id || !state.doc) return;
    state.doc.title = doc.title ?? null;
    closeRename();
    ui.sessionTitle.textContent = state.doc.title || videoName(state.doc);
    toast("Renamed");
    loadSessions();
  } catch (error) {
    toast(`Rename: ${error.message}`);
  }
}

function rerunOptions() {
  const options = {};
  for (const field of ui.rerunForm.querySelectorAll("input, select, textarea")) {
    const value = field.value.trim();
    if (!value) continue;
    options[field.name] = field.type === "number" ? Number(value) : value;
  }
  return options;
}

async function rerun(event) {
  event.preventDefault();
  ui.rerunError.hidden = true;
  const button = ui.rerunForm.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const started = await api(sessionPath("/rerun"), {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(rerunOptions()),
    });
    ui.rerunMenu.open = false;
    ui.rerunForm.reset();
    toast("A new analysis of the same video started");
    location.hash = `#/sessions/${started.session_id}`;
    loadSessions();
  } catch (error) {
    ui.rerunError.textContent = error.message;
    ui.rerunError.hidden = false;
  } finally {
    button.disabled = false;
  }
}

export function setupSessionTools() {
  ui.exportLinks.replaceChildren(...EXPORTS.map((item) => {
    const button = h("button", { type: "button", class: "menu-item" }, item.label);
    button.addEventListener("click", () => download(item, button));
    return h("li", { dataset: item.speech ? { speech: "" } : {} }, button);
  }));
  ui.renameButton.addEventListener("click", openRename);
  ui.renameCancel.addEventListener("click", closeRename);
  ui.renameForm.addEventListener("submit", rename);
  ui.renameInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); closeRename(); ui.renameButton.focus(); }
  });
  ui.rerunForm.addEventListener("submit", rerun);
  // One menu open at a time; a click elsewhere closes them.
  for (const menu of [ui.exportMenu, ui.rerunMenu]) {
    menu.addEventListener("toggle", () => {
      if (menu.open) for (const other of [ui.exportMenu, ui.rerunMenu]) if (other !== menu) other.open = false;
    });
  }
  document.addEventListener("click", (event) => {
    for (const menu of [ui.exportMenu, ui.rerunMenu]) if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of [ui.exportMenu, ui.rerunMenu]) {
      if (!menu.open) continue;
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
}
