// The sessions list in the sidebar (a drawer on narrow screens).

import { api } from "./api.js";
import { h, toast, ui } from "./dom.js";
import { formatTime, formatWhen, videoName } from "./format.js";
import { state } from "./state.js";

export async function loadSessions() {
  let body;
  try {
    body = await api("/sessions");
  } catch (error) {
    if (error.status === 401) {
      ui.sessionList.replaceChildren();
      ui.sessionsEmpty.textContent = "This server needs an API key: enter it at the top right.";
      ui.sessionsEmpty.hidden = false;
    } else {
      toast(`Sessions: ${error.message}`);
    }
    return;
  }
  ui.sessionsEmpty.textContent = "No sessions yet. Drop a video to start.";
  const sessions = Array.isArray(body) ? body : body?.sessions || body?.items || [];
  ui.sessionsEmpty.hidden = sessions.length > 0;
  ui.sessionList.replaceChildren(...sessions.map(sessionItem));
}

function sessionItem(session) {
  const name = videoName(session);
  const bits = [formatWhen(session.created_at)];
  if (session.duration_s) bits.push(formatTime(session.duration_s));
  if (session.frames) bits.push(`${session.frames} moments`);
  const current = session.session_id === state.sessionId;
  return h("li", {},
    h("a", {
      class: "session-item", href: `#/sessions/${session.session_id}`,
      "aria-current": current ? "page" : null, title: session.error || name,
      dataset: { sessionId: session.session_id },
    },
    h("span", { class: "session-name" }, name),
    h("span", { class: "badge", dataset: { status: session.status } }, session.status),
    h("span", { class: "session-sub" }, bits.filter(Boolean).join(" · "))));
}

export function markCurrentSession() {
  for (const link of ui.sessionList.querySelectorAll(".session-item")) {
    if (link.dataset.sessionId === state.sessionId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
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
