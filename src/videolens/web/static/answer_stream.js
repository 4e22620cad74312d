// Asking and reading a chat answer as it streams (NDJSON lines, server-sent events, plain text or
// one JSON body): the session chat and the library's "Ask" box both ask and read here.

import { API, ApiError, apiError, authHeaders } from "./api.js";

/** What a chat request accepts back, best first. */
const ANSWER_TYPES = "text/event-stream, text/plain, application/json";

/** POST ``{question}`` (and what else ``body`` holds) to the API's ``path``; the response. */
export function postQuestion(path, body) {
  return fetch(`${API}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: ANSWER_TYPES, ...authHeaders() },
    body: JSON.stringify(body),
  });
}

/** Run ``work()`` while ``button`` is disabled; a failure is said in the ``answer`` element
 * (``fallback`` where the error has no message). */
export async function answering(answer, button, fallback, work) {
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    answer.dataset.role = "error";
    answer.replaceChildren(error.message || fallback);
  } finally {
    button.disabled = false;
  }
}

/**
 * One chunk of a chat answer (an NDJSON line or a server-sent event's data): ``{delta}`` to
 * append, ``{answer, final}`` (the checked, final text and the whole final line) to replace what
 * streamed, or ``{error}``. Data that is not JSON is a plain-text delta.
 */
function answerChunk(name, data) {
  if (data === "[DONE]") return {};
  let value;
  try { value = JSON.parse(data); } catch { return { delta: data }; }
  if (typeof value === "string") return { delta: value };
  if (name === "error" || value.type === "error" || value.error) {
    return { error: apiError(0, value, "the chat failed").message };
  }
  if (typeof value.answer === "string") return { answer: value.answer, final: value };
  return { delta: value.delta ?? value.text ?? value.content ?? value.token ?? "" };
}

/** The events of a server-sent stream's ``buffer``, and what is left of it (an unfinished one). */
function sseEvents(buffer) {
  const events = buffer.split(/\r?\n\r?\n/);
  const rest = events.pop();
  const chunks = events.map((event) => {
    const lines = event.split(/\r?\n/);
    const name = lines.find((l) => l.startsWith("event:"))?.slice(6).trim() || "";
    const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
    return data ? answerChunk(name, data) : {};
  });
  return { chunks, rest };
}

/**
 * Read the answer of an ``ok`` chat ``response``, calling ``onText(text)`` as it grows.
 * Resolves to ``{text, final}``: the whole text and the final JSON line (its citations…), if the
 * server sent one; throws an ApiError for an error the stream reports.
 */
export async function readAnswer(response, onText = () => {}) {
  let text = "";
  let final = null;
  const take = (chunk) => {
    if (chunk.error) throw new ApiError(0, chunk.error);
    if (chunk.answer !== undefined) { text = chunk.answer; final = chunk.final; }
    else if (chunk.delta) text += chunk.delta;
  };
  const type = response.headers.get("content-type") || "";
  if (type.includes("application/json")) {
    take(answerChunk("", JSON.stringify(await response.json())));
    onText(text);
    return { text, final };
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const sse = type.includes("text/event-stream");
  const ndjson = /ndjson|jsonl|json-seq/.test(type);
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const chunk = decoder.decode(value, { stream: true });
    if (!sse && !ndjson) { text += chunk; onText(text); continue; }
    buffer += chunk;
    if (ndjson) {
      const lines = buffer.split("\n");
      buffer = lines.pop();
      for (const line of lines) if (line.trim()) take(answerChunk("", line));
    } else {
      const { chunks, rest } = sseEvents(buffer);
      buffer = rest;
      chunks.forEach(take);
    }
    onText(text);
  }
  if (ndjson && buffer.trim()) take(answerChunk("", buffer));
  onText(text);
  return { text, final };
}

/** A question box: submitting ``form`` asks ``ask(question)`` (the box emptied); Enter in
 * ``input`` submits, Shift+Enter starts a new line. */
export function setupQuestionBox(form, input, ask) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}
