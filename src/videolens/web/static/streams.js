// Live streams in the sidebar: the list (status, counts) and the form that starts one.

import { api } from "./api.js";
import { $, h, toast } from "./dom.js";
import { formatWhen } from "./format.js";

export const RUNNING = new Set(["starting", "connecting", "live", "reconnecting"]);
const REFRESH_MS = 15000; // while a stream runs; the open one is followed on its WebSocket

export const sui = {
  list: $("stream-list"), empty: $("streams-empty"), refresh: $("streams-refresh"),
  details: $("stream-new"), form: $("stream-form"), formError: $("stream-form-error"),
  url: $("stream-url"), name: $("stream-name"), rules: $("stream-rules"), start: $("stream-start"),
};

const listed = { openId: null, timer: 0 };

/** What a stream is called: its name, else its (masked) source URL. */
export function streamName(stream) {
  return stream.name || stream.url || stream.stream_id;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export async function loadStreams() {
  clearTimeout(listed.timer);
  let body;
  try {
    body = await api("/streams");
  } catch (error) {
    if (error.status === 401) {
      sui.list.replaceChildren();
      sui.empty.textContent = "This server needs an API key: enter it at the top right.";
      sui.empty.hidden = false;
    } else if (error.status !== 404) {
      toast(`Live streams: ${error.message}`);
    }
    return;
  }
  const streams = body?.streams || [];
  sui.empty.textContent = "No live streams yet.";
  sui.empty.hidden = streams.length > 0;
  sui.list.replaceChildren(...streams.map(streamItem));
  if (streams.some((s) => RUNNING.has(s.status))) refreshLater();
}

/** Counts and statuses change while streams run; a hidden tab asks for nothing. */
function refreshLater() {
  listed.timer = setTimeout(() => (document.hidden ? refreshLater() : loadStreams()), REFRESH_MS);
}

function streamItem(stream) {
  const id = stream.stream_id;
  return h("li", {},
    h("a", {
      class: "session-item stream-item", href: `#/streams/${id}`,
      "aria-current": id === listed.openId ? "page" : null,
      title: stream.error || stream.url || "", dataset: { streamId: id },
    },
    h("span", { class: "session-name" }, streamName(stream)),
    h("span", { class: "badge", dataset: { status: stream.status } }, stream.status),
    h("span", { class: "session-sub" }, itemSub(stream))));
}

function itemSub(stream) {
  const bits = [`started ${formatWhen(stream.created_at)}`];
  const frames = stream.progress?.frames_described ?? stream.frames_total;
  const events = stream.progress?.events ?? stream.events_total;
  if (frames) bits.push(plural(frames, "frame"));
  if (events) bits.push(plural(events, "event"));
  return bits.join(" · ");
}

/** Keep the open stream's row current from what its WebSocket says, without a request. */
export function updateStreamItem(stream) {
  const link = sui.list.querySelector(`.stream-item[data-stream-id="${CSS.escape(stream.stream_id)}"]`);
  if (!link) return;
  link.querySelector(".session-name").textContent = streamName(stream);
  const badge = link.querySelector(".badge");
  badge.textContent = stream.status;
  badge.dataset.status = stream.status;
  link.querySelector(".session-sub").textContent = itemSub(stream);
}

export function markCurrentStream(id) {
  listed.openId = id;
  for (const link of sui.list.querySelectorAll(".stream-item")) {
    if (link.dataset.streamId === id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/** ``person, word:EXIT, label:fire truck`` -> the rule list (spaces inside a rule are kept). */
export function parseRules(text) {
  return text.split(/[,\n]/).map((rule) => rule.trim()).filter(Boolean);
}

function showFormError(message, field) {
  sui.formError.replaceChildren(h("span", {}, message));
  sui.formError.hidden = false;
  const input = { url: sui.url, name: sui.name, rules: sui.rules }[field];
  for (const each of [sui.url, sui.name, sui.rules]) each.removeAttribute("aria-invalid");
  if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
}

async function startStream(event) {
  event.preventDefault();
  sui.formError.hidden = true;
  const url = sui.url.value.trim();
  if (!url) { showFormError("Give the address of the live source (rtsp://, udp://, http(s)://…).", "url"); return; }
  const body = { url, rules: parseRules(sui.rules.value) };
  if (sui.name.value.trim()) body.name = sui.name.value.trim();
  sui.start.disabled = true;
  try {
    const stream = await api("/streams", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    sui.form.reset();
    for (const each of [sui.url, sui.name, sui.rules]) each.removeAttribute("aria-invalid");
    sui.details.open = false;
    toast(`Watching “${streamName(stream)}”`);
    location.hash = `#/streams/${stream.stream_id}`;
    loadStreams();
  } catch (error) {
    showFormError(error.message, error.field);
  } finally {
    sui.start.disabled = false;
  }
}

export function setupStreams() {
  sui.refresh.addEventListener("click", loadStreams);
  sui.form.addEventListener("submit", startStream);
}
