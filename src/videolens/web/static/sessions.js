// The sessions list in the sidebar (a drawer on narrow screens).

import { ui } from "./dom.js";
import { formatTime, formatWhen, videoName } from "./format.js";
import { listRow, loadList, markCurrent } from "./side_list.js";
import { state } from "./state.js";

export async function loadSessions() {
  await loadList({
    path: "/sessions", list: ui.sessionList, empty: ui.sessionsEmpty, label: "Sessions",
    emptyText: "No sessions yet. Drop a video to start.",
    items: (body) => (Array.isArray(body) ? body : body?.sessions || body?.items || []),
    row: sessionItem,
  });
}

function sessionItem(session) {
  const name = session.title || videoName(session);
  const bits = [session.title ? videoName(session) : "", formatWhen(session.created_at)];
  if (session.duration_s) bits.push(formatTime(session.duration_s));
  if (session.frames) bits.push(`${session.frames} moments`);
  return listRow({
    href: `#/sessions/${session.session_id}`, current: session.session_id === state.sessionId,
    title: session.error || name, dataset: { sessionId: session.session_id },
    name, status: session.status, sub: bits.filter(Boolean).join(" · "),
  });
}

export function markCurrentSession() {
  markCurrent(ui.sessionList, "sessionId", state.sessionId);
}

/** The sessions drawer (narrow screens only). */
export function closeDrawer() {
  ui.sidebar.dataset.open = "false";
  ui.sessionsToggle.setAttribute("aria-expanded", "false");
}

/** Refreshing the list, and opening or closing it as a drawer. */
export function setupSessionsList() {
  ui.sessionsRefresh.addEventListener("click", loadSessions);
  ui.sessionsToggle.addEventListener("click", () => {
    const open = ui.sidebar.dataset.open !== "true";
    ui.sidebar.dataset.open = String(open);
    ui.sessionsToggle.setAttribute("aria-expanded", String(open));
    if (open) ui.sidebar.querySelector("#file-input, a, button")?.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && ui.sidebar.dataset.open === "true") {
      closeDrawer();
      ui.sessionsToggle.focus();
    }
  });
}
