// Times, sizes and names as the UI shows them.

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

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatEta(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 1) return "almost done";
  if (seconds < 60) return `about ${Math.ceil(seconds)} s left`;
  return `about ${Math.ceil(seconds / 60)} min left`;
}

export function formatWhen(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const seconds = (Date.now() - date.getTime()) / 1000;
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

const basename = (path) => String(path || "").split(/[\\/]/).pop() || "";

export function videoName(doc) {
  const video = doc.video || {};
  return (
    doc.filename || doc.original_filename || video.filename || video.original_filename ||
    video.name || basename(typeof doc.video === "string" ? doc.video : video.path) || doc.session_id
  );
}

// Wall-clock times of live streams, in the browser's own time zone, 24-hour like the CLI.
const CLOCK = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };

/** The local day (empty for today) and time of day of a Unix time; null when there is none. */
function clockParts(at) {
  if (at === null || at === undefined || at === "") return null;
  const date = new Date(Number(at) * 1000);
  if (!Number.isFinite(date.getTime())) return null;
  const today = date.toDateString() === new Date().toDateString();
  return {
    day: today ? "" : date.toLocaleDateString([], { month: "short", day: "numeric" }),
    time: date.toLocaleTimeString([], CLOCK),
  };
}

/** ``20:01:03`` for a Unix time today; ``Mar 3 20:01:03`` on another day. */
export function formatClock(at) {
  const parts = clockParts(at);
  if (!parts) return "";
  return parts.day ? `${parts.day} ${parts.time}` : parts.time;
}

/** ``20:01:03–20:01:10`` (the day said once when both ends fall on it). */
export function formatClockRange(start, end) {
  const from = clockParts(start);
  const to = clockParts(end);
  if (!from || !to) return formatClock(start) || formatClock(end);
  if (from.day === to.day) return `${from.day ? `${from.day} ` : ""}${from.time}–${to.time}`;
  return `${formatClock(start)}–${formatClock(end)}`;
}

/** The full local date and time, for a ``title``. */
export function formatDateTime(at) {
  const date = new Date(Number(at) * 1000);
  return Number.isFinite(date.getTime()) ? date.toLocaleString() : "";
}

/** ``7 s``, ``3 min 20 s``, ``2 h 5 min``. */
export function formatSpan(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  if (total < 60) return `${total} s`;
  if (total < 3600) return `${Math.floor(total / 60)} min${total % 60 ? ` ${total % 60} s` : ""}`;
  const minutes = Math.floor((total % 3600) / 60);
  return `${Math.floor(total / 3600)} h${minutes ? ` ${minutes} min` : ""}`;
}
