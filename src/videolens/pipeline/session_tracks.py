"""Where a session's detection pass is stored, and what a described moment takes from it."""

from __future__ import annotations

from pathlib import Path

from videolens.store import SessionStore
from videolens.store.atomic import read_json
from videolens.timeline.model import Detection, Moment
from videolens.tracking import TrackedChunk, TrackedFrame, TrackingResult, frame_near
from videolens.tracking.tracks import MIN_DETECTIONS

TRACKS_FILE = "tracks.json"


def tracks_folder(store: SessionStore, session_id: str) -> Path:
    return store.session_dir(session_id) / "tracks"


def stored_tracking(store: SessionStore, session_id: str) -> TrackingResult | None:
    """The stitched pass of a session, or None when no pass ran (or it found no detector)."""
    path = tracks_folder(store, session_id) / TRACKS_FILE
    return TrackingResult.model_validate(read_json(path)) if path.is_file() else None


def stored_chunk(path: str) -> TrackedChunk | None:
    """A chunk by its path, or None for the empty path of a pass that did not run."""
    return TrackedChunk.model_validate(read_json(Path(path))) if path else None


def confirmed_detections(chunk: TrackedChunk, t: float) -> list[Detection] | None:
    """What the chunk saw nearest ``t`` (within one step of the pass) that a track of the chunk
    confirms, or None when the pass has no frame there."""
    frame = frame_near(chunk.frames, t, 1.0 / chunk.fps)
    if frame is None:
        return None
    counts: dict[int, int] = {}
    for seen in chunk.frames:
        for detection in seen.detections:
            if detection.track_id is not None:
                counts[detection.track_id] = counts.get(detection.track_id, 0) + 1
    return [
        d.model_copy(update={"track_id": None})
        for d in frame.detections
        if d.track_id is not None and counts[d.track_id] >= MIN_DETECTIONS
    ]


def with_tracks(moment: Moment, frames: list[TrackedFrame], step_s: float) -> Moment:
    """``moment`` with the detections of the stitched pass at its time (each with its track
    id and colour) and the people a person would count there; unchanged where the pass has no
    frame near it."""
    if moment.timestamp_s is None:
        return moment
    frame = frame_near(frames, moment.timestamp_s, step_s)
    if frame is None:
        return moment
    people = sum(d.label == "person" for d in frame.detections)
    return moment.model_copy(
        update={
            "detections": frame.detections,
            "people_count": people,
            "objects_detected": True,
        }
    )
