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

from videolens.timeline.model import Detection, Track
from videolens.tracking.chunk import TrackedChunk, TrackedFrame
from videolens.tracking.detect import box_iou, class_group
from videolens.tracking.tracks import build_tracks

SAME_TRACK_IOU = 0.5
"""Mean overlap where both boxed it, for two chunks' tracks to be one (the same frame decoded
twice gives the same detections, so the same thing overlaps itself almost wholly)."""


def stitch(chunks: list[TrackedChunk]) -> tuple[list[Track], list[TrackedFrame]]:
    """The confirmed tracks of the whole pass, and its frames with their ids."""
    ordered = sorted(chunks, key=lambda chunk: chunk.index)
    if not ordered:
        return [], []
    fresh = count(1)
    frames: list[TrackedFrame] = []
    previous: dict[float, TrackedFrame] = {}
    previous_ids: dict[int, int] = {}
    for chunk in ordered:
        shared = [f for f in chunk.frames if f.t < chunk.start_s and _key(f.t) in previous]
        links = _links(shared, previous, previous_ids)
        ids = {local: links.get(local) or next(fresh) for local in _local_ids(chunk.frames)}
        own = [_renumbered(f, ids) for f in chunk.frames if f.t >= chunk.start_s]
        frames.extend(own)
        previous = {_key(f.t): f for f in own}
        previous_ids = {global_id: global_id for global_id in ids.values()}
    step = 1.0 / ordered[0].fps
    return build_tracks(
        frames, start_s=ordered[0].read_from_s, end_s=ordered[-1].end_s, step_s=step
    )


def _key(t: float) -> float:
    return round(t, 3)


def _local_ids(frames: list[TrackedFrame]) -> list[int]:
    return sorted({d.track_id for f in frames for d in f.detections if d.track_id is not None})


def _links(
    shared: list[TrackedFrame], previous: dict[float, TrackedFrame], previous_ids: dict[int, int]
) -> dict[int, int]:
    """Later chunk's local id → the global id of the earlier track it continues."""
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
        links[later_id] = previous_ids[earlier_id]
        used.add(earlier_id)
    return links


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
