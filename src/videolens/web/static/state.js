// What the UI knows: the API key, the open session, its frames and the live connection.

export const KEY_STORAGE = "videolens.apiKey";

export const state = {
  apiKey: localStorage.getItem(KEY_STORAGE) || "",
  features: { chat: null, search: null }, // null: unknown (no OpenAPI document), then probed
  sessionId: null,
  doc: null,
  frames: new Map(), // index -> frame
  cards: new Map(), // index -> <li>
  marks: new Map(), // index -> <button>
  speechCards: new Map(), // "start|text" -> <li> of a speech segment
  progress: null,
  live: null, // { socket, timer, closed }
  upload: null, // XMLHttpRequest in flight
  currentIndex: null,
  filter: "",
  searchHits: null, // Set of frame indexes from server search, or null
};
