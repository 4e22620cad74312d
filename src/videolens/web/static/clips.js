// Download links for a short clip around a moment (the server cuts it: GET …/clip?t=).

import { API, withKey } from "./api.js";
import { h } from "./dom.js";
import { formatTime } from "./format.js";
import { state } from "./state.js";

// What `videolens clip` cuts by default: 3 s before the moment, 5 s after.
const BEFORE_S = 3;
const AFTER_S = 5;

/** The clip's URL, with the key (a download link cannot send headers). */
export function clipUrl(seconds) {
  const t = Math.max(0, Number(seconds) || 0).toFixed(3).replace(/\.?0+$/, "");
  const id = encodeURIComponent(state.sessionId);
  return withKey(`${API}/sessions/${id}/clip?t=${t || 0}&before=${BEFORE_S}&after=${AFTER_S}`);
}

/** A link that downloads the clip around ``seconds`` as an MP4. */
export function clipLink(seconds, className = "clip-link", text = "clip") {
  const label = `Download a clip around ${formatTime(seconds)}`;
  return h("a", {
    class: className, href: clipUrl(seconds), download: "", title: label, "aria-label": label,
    dataset: { t: seconds },
  }, text);
}
