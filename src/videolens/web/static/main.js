// videolens web UI: upload, live analysis progress, player + timeline of moments, chat, summary;
// live streams (latest frame, rolling timeline, events, gaps); search across everything; the
// library (every video, searched and asked as one).
// Plain ES modules, no framework, no bundler. Everything the server sends is inserted as text,
// never as HTML.

import { setupApiKey } from "./api.js";
import { setupBoxes } from "./boxes.js";
import { setupChat } from "./chat.js";
import { ui } from "./dom.js";
import { setupKeys } from "./keys.js";
import { closeLibrary, openLibrary, setupLibrary } from "./library.js";
import { libraryParams } from "./library_route.js";
import { seek, setupPlayer } from "./player.js";
import { runSearch, searchQuery, setupGlobalSearch } from "./search_all.js";
import { openSession, resetSessionView, setupSessionActions } from "./session.js";
import { setupSessionTools } from "./session_tools.js";
import { loadSessions, markCurrentSession, setupSessionsList } from "./sessions.js";
import { state } from "./state.js";
import { closeStream, openStream, setupStreamView } from "./stream_view.js";
import { loadStreams, setupStreams } from "./streams.js";
import { detectFeatures, setupTabs } from "./tabs.js";
import { setupFilter } from "./timeline.js";
import { setupUpload } from "./upload.js";

/** Leave the open session (if any) for another view. */
function leaveSession() {
  resetSessionView();
  state.sessionId = null;
  markCurrentSession();
  ui.sessionView.hidden = true;
}

/**
 * The hash says what is open: ``#/sessions/<id>`` (``?t=<seconds>`` seeks there),
 * ``#/streams/<id>``, ``#/search?q=<words>``, ``#/library`` (``?`` its filters, page and
 * search), or the start page.
 */
async function route() {
  const hash = location.hash;
  ui.searchView.hidden = true;
  const library = libraryParams(hash);
  if (!library) closeLibrary();
  const stream = hash.match(/^#\/streams\/([A-Za-z0-9_-]+)$/);
  if (stream) {
    leaveSession();
    ui.welcome.hidden = true;
    openStream(stream[1]);
    return;
  }
  closeStream();
  if (library) {
    leaveSession();
    ui.welcome.hidden = true;
    openLibrary(library);
    return;
  }
  const match = hash.match(/^#\/sessions\/([A-Za-z0-9_-]+)(?:\?t=(\d+(?:\.\d+)?))?$/);
  if (match) {
    await openSession(match[1]);
    if (match[2] !== undefined && state.sessionId === match[1]) seek(Number(match[2]));
    return;
  }
  leaveSession();
  const q = searchQuery(hash);
  ui.welcome.hidden = Boolean(q);
  if (q) runSearch(q);
}

function start() {
  setupUpload();
  setupPlayer();
  setupBoxes();
  setupFilter();
  setupTabs();
  setupChat();
  setupSessionActions();
  setupSessionTools();
  setupSessionsList();
  setupStreams();
  setupStreamView();
  setupGlobalSearch();
  setupLibrary();
  setupKeys();
  setupApiKey(() => { loadSessions(); loadStreams(); closeLibrary(); route(); });
  window.addEventListener("hashchange", route);
  detectFeatures();
  loadSessions();
  loadStreams();
  route();
}

start();
