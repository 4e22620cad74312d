// The player: seeking, and which moment is current.

import { $, ui } from "./dom.js";
import { formatTime } from "./format.js";
import { state } from "./state.js";
import { renderFrames, renderShots } from "./timeline.js";

export function duration() {
  const fromPlayer = ui.player.duration;
  if (Number.isFinite(fromPlayer) && fromPlayer > 0) return fromPlayer;
  return state.doc?.video?.duration_s || state.progress?.video_duration_s || 0;
}

export function seek(seconds, index = null) {
  const target = Math.max(0, Number(seconds) || 0);
  const apply = () => { ui.player.currentTime = target; };
  if (ui.player.readyState >= 1) apply();
  else ui.player.addEventListener("loadedmetadata", apply, { once: true });
  if (index !== null) setCurrent(index, false);
}

export function frameAt(seconds) {
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

export function highlightCurrent() {
  const frame = frameAt(ui.player.currentTime || 0);
  if (frame) setCurrent(frame.index, !ui.player.paused);
}

// A video browsers cannot play is served as an H.264 copy made on the first request (seconds
// to minutes); if none can be made the server says why, and the page says it over the player.
async function explainPlaybackError() {
  const src = ui.player.currentSrc || ui.player.getAttribute("src");
  if (!src) return;
  let reason = "this browser cannot play the video";
  try {
    const response = await fetch(src, { headers: { Range: "bytes=0-0" } });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      reason = body?.error?.message || body?.detail || `the server answered ${response.status}`;
    }
  } catch {
    reason = "the video could not be loaded";
  }
  showPlayerMessage(`${reason.charAt(0).toUpperCase()}${reason.slice(1)}. The analysis is not affected.`);
}

function showPlayerMessage(text) {
  const message = $("player-message");
  message.textContent = text;
  message.hidden = !text;
}

export function setupPlayer() {
  let preparing = null;
  ui.player.addEventListener("loadstart", () => {
    showPlayerMessage("");
    clearTimeout(preparing);
    preparing = setTimeout(() => {
      if (ui.player.readyState === 0 && !ui.player.error) {
        showPlayerMessage("Preparing the video for the browser…");
      }
    }, 1500);
  });
  ui.player.addEventListener("loadedmetadata", () => { clearTimeout(preparing); showPlayerMessage(""); });
  ui.player.addEventListener("error", () => { clearTimeout(preparing); explainPlaybackError(); });
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
