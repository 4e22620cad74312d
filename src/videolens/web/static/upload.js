// Upload: the drop zone, the file input and the XHR with its progress.

import { API, apiError, authHeaders, needApiKey } from "./api.js";
import { $, h, toast, ui } from "./dom.js";
import { formatBytes } from "./format.js";
import { loadSessions } from "./sessions.js";
import { state } from "./state.js";

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

export function setupUpload() {
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
