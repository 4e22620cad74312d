// Live streams in the sidebar: the list (status, counts) and the form that starts one.

import { api } from "./api.js";
import { $, h, toast } from "./dom.js";
import { formatWhen } from "./format.js";
import { listRow, loadList, markCurrent, updateRow } from "./side_list.js";

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
  const streams = await loadList({
    path: "/streams", list: sui.list, empty: sui.empty, label: "Live streams",
    emptyText: "No live streams yet.", items: (body) => body?.streams || [], row: streamItem,
    quiet: [404],
  });
  if (streams?.some((s) => RUNNING.has(s.status))) refreshLater();
}

/** Counts and statuses change while streams run; a hidden tab asks for nothing. */
function refreshLater() {
  listed.timer = setTimeout(() => (document.hidden ? refreshLater() : loadStreams()), REFRESH_MS);
}

function streamItem(stream) {
  const id = stream.stream_id;
  return listRow({
    href: `#/streams/${id}`, current: id === listed.openId, kind: "stream-item",
    title: stream.error || stream.url || "", dataset: { streamId: id }, ...rowText(stream),
  });
}

function rowText(stream) {
  const bits = [`started ${formatWhen(stream.created_at)}`];
  const frames = stream.progress?.frames_described ?? stream.frames_total;
  const events = stream.progress?.events ?? stream.events_total;
  if (frames) bits.push(plural(frames, "frame"));
  if (events) bits.push(plural(events, "event"));
  return { name: streamName(stream), status: stream.status, sub: bits.join(" · ") };
}

/** Keep the open stream's row current from what its WebSocket says, without a request. */
export function updateStreamItem(stream) {
  const link = sui.list.querySelector(`.stream-item[data-stream-id="${CSS.escape(stream.stream_id)}"]`);
  if (link) updateRow(link, rowText(stream));
}

export function markCurrentStream(id) {
  listed.openId = id;
  markCurrent(sui.list, "streamId", id);
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
