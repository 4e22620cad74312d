// The page's elements, an element builder and the toast.

export const $ = (id) => document.getElementById(id);

export const ui = {
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
  workspace: $("session-workspace"),
  renameButton: $("rename-button"), renameForm: $("rename-form"), renameInput: $("rename-input"),
  renameCancel: $("rename-cancel"),
  exportMenu: $("export-menu"), exportLinks: $("export-links"),
  rerunMenu: $("rerun-menu"), rerunForm: $("rerun-form"), rerunError: $("rerun-error"),
  boxLayer: $("box-layer"), boxesToggle: $("boxes-toggle"), boxesNote: $("boxes-note"),
  globalSearch: $("global-search"), globalSearchInput: $("global-search-input"),
  searchView: $("search-view"), searchMeta: $("search-meta"), searchResults: $("search-results"),
  keysButton: $("keys-button"), keysHelp: $("keys-help"),
  toast: $("toast"),
};


/** Build an element: h("div", {class: "x", onclick: fn}, child, "text"). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    // Through the CSSOM: a strict Content-Security-Policy refuses style="" attributes.
    else if (name === "style") el.style.cssText = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let toastTimer = 0;
export function toast(message) {
  ui.toast.textContent = message;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { ui.toast.hidden = true; }, 3500);
}
