// Detection boxes over the player, on demand: the boxes of the analysed moment being shown
// (the one at or before the playhead), each labelled with what it is, its score and its track.

import { h, ui } from "./dom.js";
import { formatTime } from "./format.js";
import { frameAt } from "./player.js";
import { state } from "./state.js";

const shown = { on: false };

/** Where the picture is inside the <video> element (letterboxed: the player keeps its ratio). */
function pictureRect() {
  const { clientWidth: width, clientHeight: height, videoWidth, videoHeight } = ui.player;
  if (!width || !height || !videoWidth || !videoHeight) return null;
  const scale = Math.min(width / videoWidth, height / videoHeight);
  const w = videoWidth * scale;
  const hgt = videoHeight * scale;
  return { left: ui.player.offsetLeft + (width - w) / 2, top: ui.player.offsetTop + (height - hgt) / 2, width: w, height: hgt };
}

const percent = (value) => `${(100 * Math.min(1, Math.max(0, Number(value) || 0))).toFixed(3)}%`;

/** What a box says: ``person 87%``, and ``#3`` after it when the detection belongs to track 3. */
export function boxLabel(detection) {
  const label = [detection.label, `${Math.round(100 * detection.score)}%`];
  if (detection.track_id !== null && detection.track_id !== undefined) label.push(`#${detection.track_id}`);
  return label.join(" ");
}

function boxElement(detection) {
  const [x0, y0, x1, y1] = detection.box;
  const box = h("div", { class: "box", dataset: { label: detection.label } },
    h("span", { class: "box-label" }, boxLabel(detection)));
  Object.assign(box.style, {
    left: percent(x0), top: percent(y0), width: percent(x1 - x0), height: percent(y1 - y0),
  });
  return box;
}

function anyDetections() {
  for (const frame of state.frames.values()) if (frame.detections?.length) return true;
  return false;
}

/** Draw the boxes of the moment at the playhead (or clear them when boxes are off). */
export function renderBoxes() {
  if (!shown.on) { ui.boxLayer.hidden = true; ui.boxLayer.replaceChildren(); return; }
  const rect = pictureRect();
  const frame = frameAt(ui.player.currentTime || 0);
  const detections = (frame?.detections || []).filter((d) => Array.isArray(d.box) && d.box.length === 4);
  if (rect) {
    Object.assign(ui.boxLayer.style, {
      left: `${rect.left}px`, top: `${rect.top}px`, width: `${rect.width}px`, height: `${rect.height}px`,
    });
  }
  ui.boxLayer.hidden = !rect;
  ui.boxLayer.replaceChildren(...detections.map(boxElement));
  if (!anyDetections()) ui.boxesNote.textContent = "No moment of this session has detection boxes.";
  else if (!frame) ui.boxesNote.textContent = "No analysed moment here yet.";
  else ui.boxesNote.textContent = `${detections.length} ${detections.length === 1 ? "box" : "boxes"} at ${formatTime(frame.timestamp_s)}`;
}

export function toggleBoxes(on = !shown.on) {
  shown.on = on;
  ui.boxesToggle.setAttribute("aria-pressed", String(on));
  ui.boxesToggle.textContent = on ? "Hide boxes" : "Show boxes";
  if (!on) ui.boxesNote.textContent = "";
  renderBoxes();
}

export function setupBoxes() {
  ui.boxesToggle.addEventListener("click", () => toggleBoxes());
  for (const name of ["timeupdate", "seeked", "loadedmetadata", "resize"]) ui.player.addEventListener(name, renderBoxes);
  new ResizeObserver(renderBoxes).observe(ui.player);
}
