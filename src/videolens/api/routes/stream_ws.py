"""``WS /v1/streams/{id}/ws``: a live stream on the live-events protocol
(:mod:`videolens.api.live_events`): the stream's state, then new frames, events and status as they
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

from collections.abc import Callable
from dataclasses import asdict
from typing import TypeVar

import anyio

from videolens.api.live_events import LiveSource, Message, live_router
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
from videolens.timeline.model import Moment, StreamDocument, StreamEvent, StreamSpeechSegment


class StreamSource(LiveSource[StreamDocument]):
    """A stream's store: frames, events and speech are new once their file was not read before."""

    KEY = "stream"
    PROGRESS_TYPE = "status"
    seen: _Seen

    def read(self) -> StreamDocument:
        return owned_stream(self.found, self.owner, self.source_id)

    def running(self, document: StreamDocument) -> bool:
        return document.status in RUNNING

    def status(self, document: StreamDocument) -> object:
        return document.status

    async def state(self, document: StreamDocument) -> tuple[Message, Message | None]:
        store, stream_id = stream_store(self.found), self.source_id
        # What is new is judged from before the state is read: a window landing in between is
        # sent twice (clients key frames by ``seq``), never missed.
        self.seen = await anyio.to_thread.run_sync(_Seen, store, stream_id)
        frames = await anyio.to_thread.run_sync(store.recent_moments, stream_id, TIMELINE_FRAMES)
        events = await anyio.to_thread.run_sync(
            lambda: store.stream_events(stream_id)[-TIMELINE_FRAMES:]
        )
        speech = await anyio.to_thread.run_sync(store.recent_speech, stream_id, TIMELINE_FRAMES)
        fields = {
            "stream": public_stream(document),
            "frames": [public_stream_frame(stream_id, f) for f in frames],
            "events": [public_event(stream_id, e) for e in events],
            "speech": [s.as_json() for s in speech],
        }
        return fields, None

    async def updates(self, document: StreamDocument) -> list[Message]:
        new_frames, new_events, new_speech = await anyio.to_thread.run_sync(self.seen.new)
        stream_id, messages = self.source_id, []
        if new_frames:
            frames = [public_stream_frame(stream_id, f) for f in new_frames]
            messages.append({"type": "frames", "frames": frames})
        if new_events:
            events = [public_event(stream_id, e) for e in new_events]
            messages.append({"type": "events", "events": events})
        if new_speech:
            speech = [s.as_json() for s in new_speech]
            messages.append({"type": "speech", "speech": speech})
        return messages

    async def progress(self, document: StreamDocument) -> Message | None:
        progress = await stream_progress(self.found.client, self.source_id)
        return asdict(progress) if progress is not None else None

    def public(self, document: StreamDocument) -> Message:
        return public_stream(document)


router = live_router("/v1/streams", "/{source_id}/ws", StreamSource, tag="streams")

Item = TypeVar("Item", Moment, StreamEvent, StreamSpeechSegment)

# What a follower reads for each kind of file: frames, frames' events, speech, speech's events.
_KINDS = ("windows", "events", "speech", "speech_events")


class _Seen:
    """Which files of each kind a follower has been sent; names sort by time, and each kind is
    written in order (speech runs behind frames, so it is followed on its own)."""

    def __init__(self, store: StreamStore, stream_id: str) -> None:
        self.store, self.stream_id = store, stream_id
        self.last = {kind: (store.names(stream_id, kind) or [""])[-1] for kind in _KINDS}

    def new(self) -> tuple[list[Moment], list[StreamEvent], list[StreamSpeechSegment]]:
        """New frames, events (of frames and of speech, by time) and speech segments."""
        store = self.store
        frames = self._new("windows", store.window_moments)
        events = self._new("events", store.window_stream_events)
        events += self._new("speech_events", store.window_speech_events)
        events.sort(key=lambda e: e.at)
        return frames, events, self._new("speech", store.window_speech)

    def _new(self, kind: str, read: Callable[[str, str], list[Item]]) -> list[Item]:
        """What the ``kind`` files not sent yet hold, read with ``read``; they count as sent."""
        found: list[Item] = []
        for name in self.store.names(self.stream_id, kind):
            if name > self.last[kind]:
                found.extend(read(self.stream_id, name))
                self.last[kind] = name
        return found
