"""A live stream's tracks, kept with the stream window by window.

Each window's pass (a ``TrackedChunk`` in wall-clock seconds) is stitched onto the window before
it (``tracking.stitch_next``: a track alive across the boundary keeps its id), and the tracks
seen in the window are built by the same ``build_tracks`` as a video's, over the frames since
the oldest track still open began. Layout of ``<stream>/``, one file per window, named as the
window (so retention removes them with it):

- ``passes/<window>.json`` — the window's pass (a retry or another worker does not run it again);
- ``stitched/<window>.json`` — its frames with the stream's track ids, and the next free id;
- ``tracks/<window>.json`` — the tracks seen in it (as known then) and its confirmed frames,
  which the window's moments are counted from;
- ``pass_clips/`` — the frames a pass reads, until it has run.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import TypeVar

from pydantic import Field

from videolens.store.atomic import read_json, write_json_atomic
from videolens.streams.store import StreamStore, first_at
from videolens.timeline.model import Record, Track
from videolens.tracking import TrackedChunk, TrackedFrame
from videolens.tracking.stitch import Stitched, stitch_next, tracks_keeping_ids
from videolens.tracking.tracker import LOST_S

PASSES, STITCHED, TRACKS, CLIPS = "passes", "stitched", "tracks", "pass_clips"
R = TypeVar("R", bound=Record)
LOOKBACK_S = 2 * LOST_S
"""Frames this far before a window are read again to build its tracks: a track that began there
with too few detections to be confirmed yet may be confirmed now."""
MAX_SPAN_S = 600.0
"""The most frames a window's tracks are built over: a track older than this (a parked car)
keeps the first sighting its earlier windows found."""


class WindowTracks(Record):
    """The tracks seen in one window of a stream, and the window's frames with only the
    detections those tracks confirm."""

    tracks: list[Track] = Field(default_factory=list)
    frames: list[TrackedFrame] = Field(default_factory=list)
    fps: float = Field(default=0.0, description="The pass's rate.")


def clips_dir(store: StreamStore, stream_id: str) -> Path:
    return store.stream_dir(stream_id) / CLIPS


def pass_path(store: StreamStore, stream_id: str, window: str) -> Path:
    return store.stream_dir(stream_id) / PASSES / f"{window}.json"


def stored_pass(store: StreamStore, stream_id: str, window: str) -> TrackedChunk | None:
    """The window's pass when an earlier attempt ran it, else None."""
    path = pass_path(store, stream_id, window)
    return TrackedChunk.model_validate(read_json(path)) if path.is_file() else None


def stitch_window(
    store: StreamStore, stream_id: str, window: str, chunk: TrackedChunk
) -> WindowTracks:
    """Stitch the window's pass onto the windows before it and store its tracks."""
    names = store.names(stream_id, STITCHED)
    before = [name for name in names if name < window]
    previous = _read(store, stream_id, STITCHED, before[-1], Stitched) if before else Stitched()
    stitched = stitch_next(previous, chunk)
    _write(store, stream_id, STITCHED, window, stitched)
    earlier = _read(store, stream_id, TRACKS, before[-1], WindowTracks) if before else None
    span_from = _span_from(chunk, earlier.tracks if earlier else [])
    frames = [f for f in _stitched_since(store, stream_id, span_from, before) if f.t >= span_from]
    frames += stitched.frames
    step = 1.0 / chunk.fps
    # Watching began with the stream's first window: a track seen then was already there.
    start_s = (
        frames[0].t if frames and not _has_older(store, stream_id, names, span_from) else -1e18
    )
    tracks, kept = tracks_keeping_ids(frames, start_s=start_s, end_s=chunk.end_s, step_s=step)
    tracks = [_keeping_first(track, earlier.tracks if earlier else []) for track in tracks]
    seen = WindowTracks(
        tracks=[t for t in tracks if t.last_s >= chunk.start_s],
        frames=[f for f in kept if f.t >= chunk.read_from_s - LOST_S],
        fps=chunk.fps,
    )
    _write(store, stream_id, TRACKS, window, seen)
    return seen


def window_tracks(store: StreamStore, stream_id: str, window: str) -> WindowTracks | None:
    """What ``stitch_window`` stored for the window (None: no pass ran for it)."""
    path = store.stream_dir(stream_id) / TRACKS / f"{window}.json"
    return WindowTracks.model_validate(read_json(path)) if path.is_file() else None


def stream_tracks(
    store: StreamStore, stream_id: str, since_at: float | None, until_at: float | None
) -> list[Track] | None:
    """The stream's tracks seen in ``since_at <= t < until_at`` (None: open), by first sight,
    each as the last window that saw it knows it; None when no pass ran on the stream."""
    names = store.names(stream_id, TRACKS)
    if not names:
        return None
    starts = [first_at(name) for name in names]
    low = 0 if since_at is None else max(0, bisect.bisect_right(starts, since_at) - 1)
    high = len(names) if until_at is None else bisect.bisect_left(starts, until_at)
    latest: dict[int, Track] = {}
    for name in names[low:high]:
        for track in _read(store, stream_id, TRACKS, name, WindowTracks).tracks:
            latest[track.track_id] = track
    found = [
        t
        for t in latest.values()
        if (since_at is None or t.last_s >= since_at) and (until_at is None or t.first_s < until_at)
    ]
    return sorted(found, key=lambda t: (t.first_s, t.track_id))


def prune_tracks(store: StreamStore, stream_id: str, first_kept: str, before_at: float) -> None:
    """Remove the passes, stitched frames and tracks of windows before ``first_kept``, and
    clips older than ``before_at`` (a window never tracked)."""
    folder = store.stream_dir(stream_id)
    for kind in (PASSES, STITCHED, TRACKS):
        for name in store.names(stream_id, kind):
            if name >= first_kept:
                break
            (folder / kind / f"{name}.json").unlink(missing_ok=True)
    for clip in clips_dir(store, stream_id).glob("*.mkv"):
        first_k, _, rate = clip.stem.partition("-")
        if rate.isdigit() and int(first_k) * 1000 / int(rate) < before_at:
            clip.unlink(missing_ok=True)


def _span_from(chunk: TrackedChunk, earlier: list[Track]) -> float:
    """Where the window's tracks are built from: the first sighting of the oldest track still
    open at its start, and at least ``LOOKBACK_S`` back; at most ``MAX_SPAN_S``."""
    open_from = [t.first_s for t in earlier if t.last_s >= chunk.read_from_s - LOST_S]
    wanted = min([chunk.read_from_s - LOOKBACK_S, *open_from])
    return max(wanted, chunk.start_s - MAX_SPAN_S)


def _stitched_since(
    store: StreamStore, stream_id: str, since: float, names: list[str]
) -> list[TrackedFrame]:
    starts = [first_at(name) for name in names]
    low = max(0, bisect.bisect_right(starts, since) - 1)
    return [
        frame
        for name in names[low:]
        for frame in _read(store, stream_id, STITCHED, name, Stitched).frames
    ]


def _has_older(store: StreamStore, stream_id: str, names: list[str], since: float) -> bool:
    """Whether the stream was watched before ``since`` (a window older than it was stitched)."""
    return bool(names) and first_at(names[0]) < since


def _keeping_first(track: Track, earlier: list[Track]) -> Track:
    """``track`` with its first sighting as an earlier window knew it, where that is older than
    the frames it was built from now (``MAX_SPAN_S``)."""
    known = next((t for t in earlier if t.track_id == track.track_id), None)
    if known is None or known.first_s >= track.first_s:
        return track
    return track.model_copy(update={"first_s": known.first_s, "entered": known.entered})


def _read(store: StreamStore, stream_id: str, kind: str, name: str, model: type[R]) -> R:
    try:
        return model.model_validate(read_json(store.stream_dir(stream_id) / kind / f"{name}.json"))
    except FileNotFoundError:  # pruned meanwhile
        return model()


def _write(store: StreamStore, stream_id: str, kind: str, name: str, item: Record) -> None:
    if not store.exists(stream_id):  # never recreate a stream deleted meanwhile
        raise store.not_found(stream_id)
    write_json_atomic(store.stream_dir(stream_id) / kind / f"{name}.json", item.as_json())


def write_pass(store: StreamStore, stream_id: str, window: str, chunk: TrackedChunk) -> None:
    _write(store, stream_id, PASSES, window, chunk)
