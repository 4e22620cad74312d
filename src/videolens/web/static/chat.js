// Chat about the video: streamed answers whose [mm:ss] citations seek the player.

import { API, ApiError, apiError, authHeaders, readBody } from "./api.js";
import { clipLink } from "./clips.js";
import { h, toast, ui } from "./dom.js";
import { formatTime, parseTime } from "./format.js";
import { frameAt, seek } from "./player.js";
import { state } from "./state.js";
import { updateTabs } from "./tabs.js";

const CITATION = /\[(\d{1,2}(?::\d{2}){1,2})\]/g;
const MAX_CLIPS = 4; // an answer citing many moments offers clips of its first few

/** Text with ``[mm:ss]`` / ``[h:mm:ss]`` citations turned into buttons that seek the player. */
export function withCitations(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(CITATION)) {
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

/** One line of clip links under a finished answer: each cited moment once, a few at most. */
function citedClips(text) {
  const times = [];
  for (const match of text.matchAll(CITATION)) {
    const seconds = parseTime(match[1]);
    if (!Number.isNaN(seconds) && !times.includes(seconds)) times.push(seconds);
  }
  if (!times.length) return null;
  return h("p", { class: "cite-clips" }, "Clips: ",
    times.slice(0, MAX_CLIPS).map((seconds) => clipLink(seconds, "cite-clip", formatTime(seconds))));
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
      const clips = citedClips(text);
      if (clips) answer.append(clips);
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
    const clips = citedClips(text);
    if (clips) answer.append(clips);
  } catch (error) {
    answer.dataset.role = "error";
    answer.replaceChildren(error.message || "The chat request failed.");
  } finally {
    button.disabled = false;
  }
}

export function setupChat() {
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
