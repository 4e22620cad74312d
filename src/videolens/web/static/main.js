// videolens web UI: upload, live analysis progress, player + timeline of moments, chat, summary;
// live streams (latest frame, rolling timeline, events, gaps).
// Plain ES modules, no framework, no bundler. Everything the server sends is inserted as text,
// never as HTML.

import { setupApiKey } from "./api.js";
import { setupChat } from "./chat.js";
import { ui } from "./dom.js";
import { setupPlayer } from "./player.js";
import { openSession, resetSessionView, setupSessionActions } from "./session.js";
import { loadSessions, markCurrentSession, setupSessionsList } from "./sessions.js";
import { state } from "./state.js";
import { closeStream, openStream, setupStreamView } from "./stream_view.js";
import { loadStreams, setupStreams } from "./streams.js";
import { detectFeatures, setupTabs } from "./tabs.js";
import { setupFilter } from "./timeline.js";
import { setupUpload } from "./upload.js";

/** The hash says what is open: ``#/sessions/<id>``, ``#/streams/<id>``, or the start page. */
function route() {
  const stream = location.hash.match(/^#\/streams\/([A-Za-z0-9_-]+)$/);
  if (stream) {
    resetSessionView();
    state.sessionId = null;
    markCurrentSession();
    ui.sessionView.hidden = true;
    ui.welcome.hidden = true;
    openStream(stream[1]);
    return;
  }
  closeStream();
  const match = location.hash.match(/^#\/sessions\/([A-Za-z0-9_-]+)$/);
  if (match) {
    openSession(match[1]);
    return;
  }
  resetSessionView();
  state.sessionId = null;
  markCurrentSession();
  ui.sessionView.hidden = true;
  ui.welcome.hidden = false;
}

function start() {
  setupUpload();
  setupPlayer();
  setupFilter();
  setupTabs();
  setupChat();
  setupSessionActions();
  setupSessionsList();
  setupStreams();
  setupStreamView();
  setupApiKey(() => { loadSessions(); loadStreams(); route(); });
  window.addEventListener("hashchange", route);
  detectFeatures();
  loadSessions();
  loadStreams();
  route();
}

start();
