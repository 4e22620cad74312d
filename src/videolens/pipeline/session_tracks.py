"""Where a session's detection pass is stored, and what a described moment takes from it."""

from __future__ import annotations

from pathlib import Path

from videolens.backends.basic.redescribe import redescribe
from videolens.store import SessionStore
from videolens.store.atomic import read_json
from videolens.timeline.model import Detection, Moment
from videolens.tracking import TrackedChunk, TrackedFrame, TrackingResult, frame_near
from videolens.tracking.detect import box_iou
from videolens.tracking.tracks import MIN_DETECTIONS

TRACKS_FILE = "tracks.json"
MAX_MISSED_S = 3.0
"""A track missed at a moment is counted there only when it was seen within this span around
it (a walker hidden behind another for a step or two). A longer gap is not filled in: on
vtest.avi, boxes carried over longer gaps put people where the road was empty (10 counted at
00:54 where a person counts 6). A thing in the same place before and after (``STILL_IOU``)
was there all along, however long the detector lost it."""
STILL_IOU = 0.5
SAME_THING_IOU = 0.3


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
    """What the chunk's tracks (those it confirms) show nearest ``t``, or None when the pass has
    no frame within a step of it. Ids are the chunk's own, so they are left out."""
    counts: dict[int, int] = {}
    for seen in chunk.frames:
        for detection in seen.detections:
            if detection.track_id is not None:
                counts[detection.track_id] = counts.get(detection.track_id, 0) + 1
    confirmed = [
        TrackedFrame(
            t=frame.t,
            detections=[
                d
                for d in frame.detections
                if d.track_id is not None and counts[d.track_id] >= MIN_DETECTIONS
            ],
        )
        for frame in chunk.frames
    ]
    found = alive_detections(confirmed, t, 1.0 / chunk.fps)
    if found is None:
        return None
    return [d.model_copy(update={"track_id": None}) for d in found]


def alive_detections(frames: list[TrackedFrame], t: float, step_s: float) -> list[Detection] | None:
    """Every tracked thing there at the pass's frame nearest ``t``: that frame's detections,
    and for a track seen before and after it but missed there (hidden, or the detector's
    miss), its box from the nearest frame it was seen in. None without a frame near ``t``."""
    frame = frame_near(frames, t, step_s)
    if frame is None:
        return None
    shown = {d.track_id for d in frame.detections}
    before: dict[int, tuple[float, Detection]] = {}
    after: dict[int, tuple[float, Detection]] = {}
    for other in frames:
        for d in other.detections:
            if d.track_id is None or d.track_id in shown:
                continue
            side = before if other.t < frame.t else after
            gap = abs(other.t - frame.t)
            if d.track_id not in side or gap < abs(side[d.track_id][0] - frame.t):
                side[d.track_id] = (other.t, d)
    missed = [
        _between(before[i], after[i], frame.t)
        for i in sorted(set(before) & set(after))
        if after[i][0] - before[i][0] <= MAX_MISSED_S
        or box_iou(before[i][1].box, after[i][1].box) >= STILL_IOU  # a parked van stays there
    ]
    # A carried-over box on someone the frame shows under another track (a broken track's
    # other half) is that one again: vtest.avi at 01:00 counted one man twice.
    missed = [
        d
        for d in missed
        if not any(box_iou(d.box, shown.box) >= SAME_THING_IOU for shown in frame.detections)
    ]
    return [*frame.detections, *missed]


def _between(
    before: tuple[float, Detection], after: tuple[float, Detection], t: float
) -> Detection:
    """The detection nearest ``t``, its box moved to where the thing was at ``t`` (on the line
    between its two sightings). Two walkers side by side: the box of the one missed, taken whole
    from a step later, lay on the other and was dropped as the same person (vtest.avi at 00:04
    counted 3 where a person counts 5)."""
    (t0, first), (t1, last) = before, after
    share = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
    box = [round(a + (b - a) * share, 4) for a, b in zip(first.box, last.box, strict=True)]
    nearest = first if t - t0 <= t1 - t else last
    return nearest.model_copy(update={"box": box})


def with_tracks(moment: Moment, frames: list[TrackedFrame], step_s: float) -> Moment:
    """``moment`` with what the stitched pass's tracks show at its time (each detection with its
    track id and colour) and the people a person would count there, told again in words for a
    basic-analyzer moment; unchanged where the pass has no frame near it."""
    # A video's moment is at ``timestamp_s``; a stream frame at ``at`` (its tracks' times too).
    at = moment.timestamp_s if moment.timestamp_s is not None else moment.at
    if at is None:
        return moment
    found = alive_detections(frames, at, step_s)
    if found is None:
        return moment
    tracked = moment.model_copy(
        update={
            "detections": found,
            "people_count": sum(d.label == "person" for d in found),
            "objects_detected": True,
        }
    )
    # The sentence, labels and count say what the detections finally say (a basic moment was
    # described before the tracks were stitched).
    return redescribe(tracked)
