// The Moments / Chat / Summary tabs, and which optional features the server has.

import { $, ui } from "./dom.js";
import { state } from "./state.js";

/** Which optional endpoints exist (chat, search), from the server's OpenAPI document. */
export async function detectFeatures() {
  try {
    const response = await fetch("/openapi.json");
    if (!response.ok) return;
    const paths = Object.keys((await response.json()).paths || {});
    state.features.chat = paths.some((p) => /\/sessions\/\{[^}]+\}\/chat$/.test(p));
    state.features.search = paths.some((p) => /\/sessions\/\{[^}]+\}\/search$/.test(p));
  } catch {
    // No OpenAPI document: leave the features unknown and find out on first use.
  }
  updateTabs();
}

function selectTab(tab, focus = false) {
  for (const other of ui.tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (focus) tab.focus();
}

export function setupTabs() {
  for (const tab of ui.tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const visible = ui.tabs.filter((t) => !t.hidden);
      const at = visible.indexOf(tab);
      const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: visible.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      selectTab(visible[(moves[event.key] + visible.length) % visible.length], true);
    });
  }
}

export function updateTabs() {
  const doc = state.doc;
  const chatTab = $("tab-chat");
  const summaryTab = $("tab-summary");
  chatTab.hidden = state.features.chat === false || !doc || doc.status === "running";
  summaryTab.hidden = !doc || !(doc.summary || (doc.chapters && doc.chapters.length));
  const selected = ui.tabs.find((t) => t.getAttribute("aria-selected") === "true");
  if (!selected || selected.hidden) selectTab($("tab-moments"));
}
