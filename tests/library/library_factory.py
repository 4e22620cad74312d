"""Moments, sessions and streams for the library tests, written through the real stores."""

from __future__ import annotations

from videolens.store import SessionStore
from videolens.store.sessions import SessionStatus
from videolens.streams.store import StreamStore, iso
from videolens.timeline.model import (
    Detection,
    Moment,
    SessionDocument,
    Speech,
    SpeechSegment,
    StreamSpeechSegment,
)

BOX = [0.1, 0.1, 0.4, 0.4]


def frame(
    index: int,
    at: float,
    labels: tuple[str, ...] = (),
    colour: str | None = None,
    text: tuple[str, ...] = (),
    description: str = "a quiet street",
) -> Moment:
    """A session's described frame with detections of ``labels`` (each in ``colour``)."""
    detections = [Detection(label=label, score=0.9, box=BOX, colour=colour) for label in labels]
    return Moment(index=index, timestamp_s=at, description=description, detections=detections,
                  text=list(text), model="basic")  # fmt: skip


def stream_frame(seq: int, at: float, labels: tuple[str, ...] = ()) -> Moment:
    detections = [Detection(label=label, score=0.9, box=BOX) for label in labels]
    return Moment(seq=seq, at=at, at_iso=iso(at), description="the shop door",
                  detections=detections, model="basic")  # fmt: skip


def finished_session(
    store: SessionStore, filename: str, owner: str, frames: list[Moment], said: str = ""
) -> SessionDocument:
    """A session analysed to its end: batches written, then the completed document."""
    session_id = store.create(f"/videos/{filename}", {}).session_id
    store.update(session_id, owner=owner, filename=filename)
    store.write_batch(session_id, "b0", frames)
    segments = [SpeechSegment(start_s=frames[0].timestamp_s or 0.0, end_s=2.0, text=said)]
    if said:
        store.write_speech_range(session_id, "r0", segments)
    speech = Speech(status="ok", segments=segments if said else [])
    return store.finish(session_id, SessionStatus.COMPLETED, frames=store.moments(session_id),
                        speech=speech)  # fmt: skip


def live_stream(store: StreamStore, name: str, owner: str, start_at: float) -> str:
    """A stream with one window of two frames (a person, then a van) and one speech segment."""
    stream_id = store.create({"name": name, "owner": owner, "status": "live"}, {}).stream_id
    frames = [stream_frame(1, start_at, ("person",)), stream_frame(2, start_at + 2, ("van",))]
    store.write_moments(stream_id, f"{int(start_at * 1000):013d}-{1:010d}", frames)
    speech = [StreamSpeechSegment(start_at=start_at, end_at=start_at + 1, text="deliveries here")]
    store.write_speech(stream_id, f"{int(start_at * 1000):013d}-{1:010d}", speech, [])
    return stream_id
