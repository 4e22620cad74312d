// Following something live (a session's analysis, a live stream) on its WebSocket: the server's
// live-events protocol sends ``state``, then what is new as it lands, then ``final``. When the
// socket cannot open or drops before ``final``, the source is polled instead.

import { API, withKey } from "./api.js";

/**
 * Follow ``id`` as ``source`` says, one configuration per kind of thing followed:
 * ``source.path(id)``: where, under the API (e.g. ``/sessions/<id>/events``).
 * ``source.on``: a handler per message type, called as ``handler(message, live)`` while the
 * follow is open; on ``final`` the follow is over (the socket closed) before its handler runs.
 * ``source.poll(live)``: one round of the fallback, every ``source.pollMs``, until it sets
 * ``live.closed``.
 * ``source.extra``: fields each follow keeps on its handle, beside ``id`` (pass the handle to
 * ``unfollow``).
 */
export function follow(source, id) {
  const { on, poll, pollMs, extra = {} } = source;
  const live = { id, socket: null, timer: 0, closed: false, final: false, ...extra };
  const fallback = () => pollLater(live, poll, pollMs);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let socket;
  try {
    socket = new WebSocket(withKey(`${scheme}://${location.host}${API}${source.path(id)}`));
  } catch {
    fallback();
    return live;
  }
  live.socket = socket;
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (live.closed) return;
    if (message.type === "final") {
      live.final = true;
      unfollow(live);
    }
    on[message.type]?.(message, live);
  };
  socket.onclose = () => {
    live.socket = null;
    if (!live.closed && !live.final) fallback(); // dropped mid-run: poll instead
  };
  return live;
}

function pollLater(live, poll, pollMs) {
  if (live.closed) return;
  live.timer = setTimeout(async () => {
    if (live.closed) return;
    await poll(live);
    pollLater(live, poll, pollMs);
  }, pollMs);
}

/** Stop following: no more messages are handled and no more polls run. */
export function unfollow(live) {
  if (!live) return;
  live.closed = true;
  clearTimeout(live.timer);
  live.socket?.close();
}
