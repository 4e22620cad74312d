"""Whole tracks from chunks of the detection pass.

Each chunk was tracked on its own (so a retry or another worker can redo one chunk without the
others), reading a short overlap before its own start. In that overlap both chunks saw the same
instants; a track of the later chunk that boxes the same thing there as a track of the earlier
one continues it. The earlier chunk's frames are kept in the overlap, the later one's from its
own start.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import count

from pydantic import Field

from videolens.timeline.model import Detection, Record, Track
from videolens.tracking.chunk import TrackedChunk, TrackedFrame
from videolens.tracking.detect import box_iou, class_group
from videolens.tracking.tracker import LOST_S
from videolens.tracking.tracks import build_tracks, within_reach

SAME_TRACK_IOU = 0.5
"""Mean overlap where both boxed it, for two chunks' tracks to be one (the same frame decoded
twice gives the same detections, so the same thing overlaps itself almost wholly)."""


class Stitched(Record):
    """A chunk's own frames (from its ``start_s``) with ids that continue the tracks of the
    chunks before it, and the next id free for a new track: what the next chunk is stitched
    onto. A live stream keeps one per window, so its tracks are stitched as windows come."""

    frames: list[TrackedFrame] = Field(default_factory=list)
    next_id: int = 1


def stitch(chunks: list[TrackedChunk]) -> tuple[list[Track], list[TrackedFrame]]:
    """The confirmed tracks of the whole pass, and its frames with their ids."""
    ordered = sorted(chunks, key=lambda chunk: chunk.index)
    if not ordered:
        return [], []
    frames: list[TrackedFrame] = []
    stitched = Stitched()
    for chunk in ordered:
        stitched = stitch_next(stitched, chunk)
        frames.extend(stitched.frames)
    step = 1.0 / ordered[0].fps
    return build_tracks(
        frames, start_s=ordered[0].read_from_s, end_s=ordered[-1].end_s, step_s=step
    )


def stitch_next(previous: Stitched, chunk: TrackedChunk) -> Stitched:
    """``chunk``'s own frames, each of its tracks that boxes the same thing as one of
    ``previous``'s in their shared frames given that track's id, the others new ids."""
    before = {_key(f.t): f for f in previous.frames}
    shared = [f for f in chunk.frames if f.t < chunk.start_s and _key(f.t) in before]
    links = _links(shared, before)
    links.update(_found_again(previous.frames, chunk, links))
    fresh = count(previous.next_id)
    ids = {local: links.get(local) or next(fresh) for local in _local_ids(chunk.frames)}
    own = [_renumbered(f, ids) for f in chunk.frames if f.t >= chunk.start_s]
    return Stitched(frames=own, next_id=next(fresh))


def _key(t: float) -> float:
    return round(t, 3)


def _local_ids(frames: list[TrackedFrame]) -> list[int]:
    return sorted({d.track_id for f in frames for d in f.detections if d.track_id is not None})


def _links(shared: list[TrackedFrame], previous: dict[float, TrackedFrame]) -> dict[int, int]:
    """Later chunk's local id → the id of the earlier (stitched) track it continues."""
    overlaps: dict[tuple[int, int], list[float]] = defaultdict(list)
    for frame in shared:
        before = previous[_key(frame.t)].detections
        for later in frame.detections:
            for earlier in before:
                if _comparable(earlier, later):
                    assert earlier.track_id is not None and later.track_id is not None
                    overlaps[(earlier.track_id, later.track_id)].append(
                        box_iou(earlier.box, later.box)
                    )
    # The mean over the instants where both were boxed: a thing that came into view at the
    # end of the overlap is linked on its one or two shared frames.
    scored = sorted(((sum(v) / len(v), pair) for pair, v in overlaps.items()), key=lambda x: -x[0])
    links: dict[int, int] = {}
    used: set[int] = set()
    for score, (earlier_id, later_id) in scored:
        if score < SAME_TRACK_IOU or earlier_id in used or later_id in links:
            continue
        links[later_id] = earlier_id
        used.add(earlier_id)
    return links


def _found_again(
    earlier: list[TrackedFrame], chunk: TrackedChunk, links: dict[int, int]
) -> dict[int, int]:
    """Later chunk's local id → the earlier track it continues, for a thing the later chunk's
    tracker lost and found again near its start (a track born in the overlap is dropped by
    ByteTrack when the next frame misses it; one tracker over both would have kept it for
    ``LOST_S``): its first sighting from the chunk's own start lies within reach of where an
    earlier track, seen in the last ``LOST_S`` and continued by no later track, was last."""
    step = 1.0 / chunk.fps
    own = [f for f in chunk.frames if f.t >= chunk.start_s]
    own_ids = {d.track_id for f in own for d in f.detections}
    continued = {earlier_id for local, earlier_id in links.items() if local in own_ids}
    last_seen: dict[int, tuple[float, Detection]] = {}
    for frame in earlier:
        if frame.t >= chunk.start_s - LOST_S:
            for d in frame.detections:
                if d.track_id is not None and d.track_id not in continued:
                    last_seen[d.track_id] = (frame.t, d)
    born: dict[int, tuple[float, Detection]] = {}
    for frame in chunk.frames:
        for d in frame.detections:
            if d.track_id is not None and d.track_id not in born:
                born[d.track_id] = (frame.t, d)
    pairs = []
    for local, (t1, later) in born.items():
        if local in links or local not in own_ids or t1 > chunk.start_s + LOST_S:
            continue
        for earlier_id, (t0, seen) in last_seen.items():
            steps = round((t1 - t0) / step)
            if steps > 0 and t1 - t0 <= LOST_S and within_reach(seen, later, steps):
                pairs.append((t1 - t0, _distance(seen, later), local, earlier_id))
    found: dict[int, int] = {}
    for _, _, local, earlier_id in sorted(pairs):
        if local not in found and earlier_id not in found.values():
            found[local] = earlier_id
    return found


def _distance(a: Detection, b: Detection) -> float:
    return abs(a.box[0] + a.box[2] - b.box[0] - b.box[2]) + abs(
        a.box[1] + a.box[3] - b.box[1] - b.box[3]
    )


def _comparable(a: Detection, b: Detection) -> bool:
    return (
        a.track_id is not None
        and b.track_id is not None
        and class_group(a.label) == class_group(b.label)
    )


def _renumbered(frame: TrackedFrame, ids: dict[int, int]) -> TrackedFrame:
    return TrackedFrame(
        t=frame.t,
        detections=[
            d.model_copy(update={"track_id": None if d.track_id is None else ids[d.track_id]})
            for d in frame.detections
        ],
    )


def tracks_keeping_ids(
    frames: list[TrackedFrame], *, start_s: float, end_s: float, step_s: float
) -> tuple[list[Track], list[TrackedFrame]]:
    """``build_tracks`` over stitched frames, each track keeping its stitched id (the oldest,
    where a thing found again joins two) instead of a number from 1: a live stream's tracks are
    built again window by window, and one alive across windows stays the same track."""
    copies = [f.model_copy(update={"detections": list(f.detections)}) for f in frames]
    tracks, kept = build_tracks(copies, start_s=start_s, end_s=end_s, step_s=step_s)
    stitched_id: dict[int, int] = {}
    for before, after in zip(copies, kept, strict=True):
        ids = {tuple(d.box): d.track_id for d in before.detections}
        for detection in after.detections:
            original = ids.get(tuple(detection.box))
            if detection.track_id is None or original is None:
                continue
            known = stitched_id.get(detection.track_id, original)
            stitched_id[detection.track_id] = min(known, original)
    tracks = [t.model_copy(update={"track_id": stitched_id[t.track_id]}) for t in tracks]
    kept = [
        f.model_copy(
            update={
                "detections": [
                    d.model_copy(update={"track_id": stitched_id[d.track_id]})
                    for d in f.detections
                    if d.track_id is not None
                ]
            }
        )
        for f in kept
    ]
    return tracks, kept
