"""``WS /v1/streams/{id}/ws``: the stream's state, then new frames, events and status as they
come, then one ``final`` event when it stops; the server closes the socket after it.

Messages: ``{"type": "state", "stream", "frames", "events", "speech"}`` (the stream with its
latest frames, events and speech segments), ``{"type": "frames", "frames"}``,
``{"type": "events", "events"}`` (events of word rules on speech have ``source: "speech"``),
``{"type": "speech", "speech"}`` (segments: ``start_at``, ``end_at``, ``text``),
``{"type": "status", "progress"}``, ``{"type": "final", "status", "stream"}``; a refused
connection gets ``{"type": "error", "error"}`` and close code 4000 + the HTTP status. The key may
come as ``?api_key=`` (browsers cannot set WebSocket headers) or as a header.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from videolens.api.deps import Services, authenticate, websocket_key
from videolens.api.errors import ApiError, error_body
from videolens.api.stream_views import (
    RUNNING,
    TIMELINE_FRAMES,
    owned_stream,
    public_event,
    public_stream,
    public_stream_frame,
    stream_store,
)
from videolens.pipeline.stream_client import stream_progress
from videolens.streams.store import StreamStore

router = APIRouter(prefix="/v1/streams", tags=["streams"])

POLL_S = 0.5


@router.websocket("/{stream_id}/ws")
async def stream_socket(websocket: WebSocket, stream_id: str) -> None:
    found: Services = websocket.app.state.services
    # Accepted before checking, so browsers (which never see a refused handshake's status)
    # get the reason.
    await websocket.accept()
    try:
        owner = authenticate(found, websocket_key(websocket))
        document = await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
    except ApiError as err:
        await websocket.send_json({"type": "error", **error_body(err.code, err.message)})
        await websocket.close(code=4000 + err.status, reason=err.message[:120])
        return
    with contextlib.suppress(WebSocketDisconnect):
        await _follow(websocket, found, owner, stream_id, document)


async def _follow(
    websocket: WebSocket, found: Services, owner: str, stream_id: str, document: dict[str, Any]
) -> None:
    store = stream_store(found)
    # What is new is judged from before the state is read: a window landing in between is sent
    # twice (clients key frames by ``seq``), never missed.
    seen = await anyio.to_thread.run_sync(_Seen, store, stream_id)
    frames = await anyio.to_thread.run_sync(store.recent_frames, stream_id, TIMELINE_FRAMES)
    events = await anyio.to_thread.run_sync(lambda: store.events(stream_id)[-TIMELINE_FRAMES:])
    speech = await anyio.to_thread.run_sync(store.recent_speech, stream_id, TIMELINE_FRAMES)
    await websocket.send_json(
        {
            "type": "state",
            "stream": public_stream(document),
            "frames": [public_stream_frame(stream_id, f) for f in frames],
            "events": [public_event(stream_id, e) for e in events],
            "speech": speech,
        }
    )
    last_progress: dict[str, Any] | None = None
    while document.get("status") in RUNNING:
        await asyncio.sleep(POLL_S)
        try:
            document = await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
        except ApiError:  # deleted meanwhile
            await websocket.send_json({"type": "final", "status": "deleted", "stream": None})
            await websocket.close()
            return
        await _send_new(websocket, stream_id, seen)
        progress = await stream_progress(found.client, stream_id)
        if progress is not None and asdict(progress) != last_progress:
            last_progress = asdict(progress)
            await websocket.send_json({"type": "status", "progress": last_progress})
    await _send_new(websocket, stream_id, seen)
    await websocket.send_json(
        {"type": "final", "status": document.get("status"), "stream": public_stream(document)}
    )
    await websocket.close()


async def _send_new(websocket: WebSocket, stream_id: str, seen: _Seen) -> None:
    new_frames, new_events, new_speech = await anyio.to_thread.run_sync(seen.new)
    if new_frames:
        shown = [public_stream_frame(stream_id, f) for f in new_frames]
        await websocket.send_json({"type": "frames", "frames": shown})
    if new_events:
        await websocket.send_json(
            {"type": "events", "events": [public_event(stream_id, e) for e in new_events]}
        )
    if new_speech:
        await websocket.send_json({"type": "speech", "speech": new_speech})


# What a follower reads for each kind of file: frames, frames' events, speech, speech's events.
_KINDS = ("windows", "events", "speech", "speech_events")


class _Seen:
    """Which files of each kind a follower has been sent; names sort by time, and each kind is
    written in order (speech runs behind frames, so it is followed on its own)."""

    def __init__(self, store: StreamStore, stream_id: str) -> None:
        self.store, self.stream_id = store, stream_id
        self.last = {kind: (store.names(stream_id, kind) or [""])[-1] for kind in _KINDS}

    def new(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """New frames, events (of frames and of speech, by time) and speech segments."""
        store, stream_id = self.store, self.stream_id
        read = {
            "windows": store.window_frames,
            "events": store.window_events,
            "speech": store.speech_segments,
            "speech_events": store.speech_events,
        }
        found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in _KINDS}
        for kind in _KINDS:
            for name in store.names(stream_id, kind):
                if name > self.last[kind]:
                    found[kind].extend(read[kind](stream_id, name))
                    self.last[kind] = name
        events = sorted(found["events"] + found["speech_events"], key=lambda e: float(e["at"]))
        return found["windows"], events, found["speech"]
