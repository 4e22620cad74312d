// The summary and chapters of a completed session.

import { withCitations } from "./chat.js";
import { h, ui } from "./dom.js";
import { formatTime } from "./format.js";
import { seek } from "./player.js";
import { state } from "./state.js";

export function renderSummary() {
  const { summary, chapters = [] } = state.doc || {};
  const text = typeof summary === "string" ? summary : summary?.text || "";
  ui.summaryText.replaceChildren(...text.split(/\n{2,}/).filter(Boolean).map((p) => h("p", {}, withCitations(p))));
  ui.chaptersTitle.hidden = !chapters?.length;
  ui.chapters.replaceChildren(...(chapters || []).map((chapter) => {
    const start = chapter.start_s ?? chapter.start ?? 0;
    return h("li", {}, h("button", { type: "button", onclick: () => seek(start) },
      h("time", {}, formatTime(start)), h("span", {}, chapter.title || "")));
  }));
}
