"""The detection pass's frame nearest a moment, for the moment's detections and counts."""

from __future__ import annotations

from bisect import bisect_left

from videolens.tracking.chunk import TrackedFrame


def frame_near(frames: list[TrackedFrame], t: float, tolerance_s: float) -> TrackedFrame | None:
    """The frame of ``frames`` (sorted by time) nearest ``t``, if within ``tolerance_s``."""
    times = [frame.t for frame in frames]
    at = bisect_left(times, t)
    candidates = [frames[i] for i in (at - 1, at) if 0 <= i < len(frames)]
    best = min(candidates, key=lambda frame: abs(frame.t - t), default=None)
    return best if best is not None and abs(best.t - t) <= tolerance_s else None
