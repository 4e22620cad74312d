// Keys for the player and the page: space or k plays and pauses, ←/→ move 5 s, j/l 10 s, b shows
// the boxes, / searches all sessions, ? opens the list of keys.

import { toggleBoxes } from "./boxes.js";
import { ui } from "./dom.js";
import { duration, seek } from "./player.js";

/** Keys typed into a field, or handled by a focused control, are not ours. */
function ownedElsewhere(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return true;
  const target = event.target;
  if (target === ui.player) return true; // the native controls have their own keys
  if (target.closest?.("input, textarea, select, [contenteditable=''], [contenteditable='true'], dialog")) return true;
  // Space and Enter press a focused button or link; the arrows move between tabs.
  if ((event.key === " " || event.key === "Enter") && target.closest?.("button, a, summary")) return true;
  return event.key.startsWith("Arrow") && target.closest?.('[role="tab"]');
}

function skip(seconds) {
  const total = duration();
  const target = (ui.player.currentTime || 0) + seconds;
  seek(total ? Math.min(total, target) : target);
}

function togglePlay() {
  if (!ui.player.getAttribute("src")) return;
  if (ui.player.paused) ui.player.play().catch(() => {});
  else ui.player.pause();
}

export function openHelp() {
  if (!ui.keysHelp.open) ui.keysHelp.showModal();
}

const PLAYER_KEYS = {
  " ": togglePlay,
  k: togglePlay,
  ArrowLeft: () => skip(-5),
  ArrowRight: () => skip(5),
  j: () => skip(-10),
  l: () => skip(10),
  b: () => toggleBoxes(),
};

export function setupKeys() {
  ui.keysButton.addEventListener("click", openHelp);
  document.addEventListener("keydown", (event) => {
    if (ownedElsewhere(event)) return;
    if (event.key === "?") { event.preventDefault(); openHelp(); return; }
    if (event.key === "/") {
      event.preventDefault();
      ui.globalSearchInput.focus();
      ui.globalSearchInput.select();
      return;
    }
    const action = PLAYER_KEYS[event.key];
    if (!action || ui.sessionView.hidden || ui.workspace.hidden) return;
    event.preventDefault();
    action();
  });
}
