"""Split a video into segments that workers sample independently, and size the work.

Pure and deterministic: this module runs inside the Temporal workflow sandbox, so it imports only
the standard library and ``videolens.video.types`` (no numpy, PyAV or OpenCV).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from videolens.video.types import SamplingOptions, Segment, VideoInfo

# Slack the sampler adds to a floor that the frame budget raised, in frame intervals: it keeps
# each floor frame the latest decoded frame at or before its due time, so every step may fall a
# frame or two short of the interval; with the slack, ``max_frames`` steps still span the
# duration and the cap never has to open a gap.
BUDGET_SLACK_FRAMES = 2

# A remainder shorter than this share of ``segment_s`` joins the last segment instead of becoming
# a tiny segment of its own (a worker task for two seconds of video is mostly overhead).
_MIN_TAIL_SHARE = 0.5

# A plan never has more segments than this, whatever the video's length or its header claims:
# each segment is an activity whose events (and its batches') fill the workflow's history, which
# Temporal ends at 51,200 events. Longer videos get longer segments instead.
MAX_SEGMENTS = 100
# Fewer frames than this for a segment, and the floor frames due in it (a fifth of the budget
# spare, see ``floor_for_budget``) may not fit its quota: the cap would then drop one and open a
# gap wider than the floor. Where max_frames is that scarce, segments get longer instead.
MIN_SEGMENT_FRAMES = 5


def plan_segments(info: VideoInfo, options: SamplingOptions, segment_s: float) -> list[Segment]:
    """Split ``[0, info.duration_s)`` into consecutive segments of about ``segment_s`` seconds.

    Segments are longer where ``segment_s`` would make more than ``MAX_SEGMENTS`` of them or
    leave one fewer than ``MIN_SEGMENT_FRAMES`` frames (see ``segment_length``). The last
    segment absorbs a remainder shorter than half a segment. ``options.max_frames`` is shared
    out in proportion to each segment's duration, at least one frame each; the quotas add up to
    ``max_frames`` exactly, so the sampler, which holds every segment to its quota, never keeps
    more in total.
    """
    if segment_s <= 0:
        raise ValueError(f"segment_s must be positive, got {segment_s}")
    if options.max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {options.max_frames}")
    duration = info.duration_s
    if duration <= 0:
        raise ValueError(f"the video has no duration ({duration} s)")
    length = segment_length(duration, options.max_frames, segment_s)
    count = int(duration // length)
    remainder = duration - count * length
    if count == 0 or remainder >= _MIN_TAIL_SHARE * length:
        count += 1
    most = max(1, min(MAX_SEGMENTS, options.max_frames // MIN_SEGMENT_FRAMES))
    count = min(count, most)  # float rounding never adds one
    bounds = [i * length for i in range(count)] + [duration]
    durations = [end - start for start, end in itertools.pairwise(bounds)]
    quotas = _share_frames(options.max_frames, durations)
    return [
        Segment(index=i, start_s=bounds[i], end_s=bounds[i + 1], max_frames=quotas[i])
        for i in range(count)
    ]


def segment_length(duration_s: float, max_frames: int, segment_s: float) -> float:
    """The segment length a plan of ``duration_s`` uses: ``segment_s``, or longer where that
    would give more than ``MAX_SEGMENTS`` segments (the workflow's history stays bounded) or
    segments of fewer than ``MIN_SEGMENT_FRAMES`` frames (the floor would not fit their quota;
    and since each segment keeps at least one frame, more segments than frames would break the
    frame limit)."""
    most = max(1, min(MAX_SEGMENTS, max_frames // MIN_SEGMENT_FRAMES))
    return max(segment_s, duration_s / most)


def _share_frames(total: int, durations: list[float]) -> list[int]:
    """``total`` frames shared by duration (largest remainder), at least one each; ``total`` is
    at least ``len(durations)``."""
    count = len(durations)
    spare, length = total - count, sum(durations)
    exact = [spare * d / length for d in durations]
    quotas = [1 + math.floor(x) for x in exact]
    left = total - sum(quotas)
    # Hand the frames rounding left over to the largest fractional parts (earliest on a tie).
    by_fraction = sorted(range(count), key=lambda i: (-(exact[i] - math.floor(exact[i])), i))
    for i in by_fraction[:left]:
        quotas[i] += 1
    return quotas


def estimate_frames(info: VideoInfo, options: SamplingOptions) -> int:
    """About how many frames sampling will keep (for progress): one per interval, or one per
    floor interval for the adaptive strategy (shots and motion add a few), capped by
    ``options.max_frames``.
    """
    step = options.interval_s if options.strategy == "interval" else options.floor_interval_s
    if info.duration_s <= 0 or step <= 0:
        return 0
    return max(1, min(options.max_frames, math.ceil(info.duration_s / step)))


def floor_for_budget(duration_s: float, max_frames: int, minimum_s: float) -> float:
    """The floor interval a video of ``duration_s`` can afford with ``max_frames`` frames.

    ``minimum_s`` where the budget allows it (the dense floor a cheap backend wants), otherwise
    raised evenly to ``duration_s / max_frames``: that many frames, evenly spread, leave no gap
    (the start and the end included) longer than that. This is the floor coverage reports; give
    the result to ``SamplingOptions.floor_interval_s``. Shots, fades and changes take frames from
    the same budget, so to leave them room pass a ``max_frames`` below the real cap.
    """
    if duration_s < 0 or minimum_s <= 0:
        raise ValueError(f"need duration_s >= 0 and minimum_s > 0, got {duration_s}, {minimum_s}")
    if max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    return max(minimum_s, duration_s / max_frames)


def effective_floor(segment: Segment, options: SamplingOptions, fps: float) -> float:
    """The floor interval the sampler keeps within ``segment``.

    ``options.floor_interval_s``, unless the segment's frame quota cannot hold it; then its
    duration / quota plus ``BUDGET_SLACK_FRAMES`` frame intervals (see there), so the floor alone
    never overflows the quota.
    """
    floor = options.floor_interval_s
    budget = (segment.end_s - segment.start_s) / max(1, segment.max_frames)
    if budget <= floor:
        return floor
    return budget + BUDGET_SLACK_FRAMES / (fps if fps > 0 else 25.0)


def promised_floor(segments: list[Segment], options: SamplingOptions, fps: float) -> float:
    """The floor coverage reports for a plan: no gap between kept frames should exceed it.

    The floor interval (the interval, for that strategy) or the widest floor a segment's quota
    forces (``effective_floor``), whichever is longer, and never less than one frame interval:
    a video whose frames lie further apart than the floor has gaps that long whatever is kept.
    The interval strategy keeps the first frame at or after each tick, so a gap may run one
    frame interval longer; the floor keeps the latest frame before it is due, so it holds.
    """
    interval = options.strategy == "interval"
    base = options.interval_s if interval else options.floor_interval_s
    as_floor = replace(options, floor_interval_s=base)
    widest = max((effective_floor(segment, as_floor, fps) for segment in segments), default=base)
    frame_s = 1.0 / fps if fps > 0 else 0.0
    return max(widest + (frame_s if interval else 0.0), frame_s)
