// Talking to the API: fetch with the key, error bodies, URLs for <img>/<video>/WebSocket.

import { toast, ui } from "./dom.js";
import { KEY_STORAGE, state } from "./state.js";

export const API = "/v1";

export class ApiError extends Error {
  constructor(status, message, code = "", field = "") {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The API's error body ``{"error": {code, message, field}}`` (or FastAPI's ``detail``). */
export function apiError(status, body, fallback) {
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

export function authHeaders() {
  return state.apiKey ? { "X-API-Key": state.apiKey } : {};
}

/** A URL for elements that cannot send headers (<img>, <video>, WebSocket). */
export function withKey(path) {
  if (!state.apiKey) return path;
  return `${path}${path.includes("?") ? "&" : "?"}api_key=${encodeURIComponent(state.apiKey)}`;
}

export async function readBody(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) return response.json().catch(() => null);
  return response.text().catch(() => "");
}

export async function api(path, options = {}) {
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

export function needApiKey() {
  ui.apiKeyForm.hidden = false;
  ui.apiKeyInput.value = state.apiKey;
  if (!state.apiKey) ui.apiKeyInput.focus();
}

/** The key form: shown once a request needed a key; ``onChange`` runs after it is saved. */
export function setupApiKey(onChange) {
  if (state.apiKey) ui.apiKeyForm.hidden = false;
  ui.apiKeyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    state.apiKey = ui.apiKeyInput.value.trim();
    if (state.apiKey) localStorage.setItem(KEY_STORAGE, state.apiKey);
    else localStorage.removeItem(KEY_STORAGE);
    toast(state.apiKey ? "API key saved" : "API key removed");
    onChange();
  });
}
