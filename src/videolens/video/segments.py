"""Split a video into segments that workers sample independently, and size the work.

Pure and deterministic: this module runs inside the Temporal workflow sandbox, so it imports only
the standard library and ``videolens.video.types`` (no numpy, PyAV or OpenCV).
"""

from __future__ import annotations

import itertools
import math

from videolens.video.types import SamplingOptions, Segment, VideoInfo

# A remainder shorter than this share of ``segment_s`` joins the last segment instead of becoming
# a tiny segment of its own (a worker task for two seconds of video is mostly overhead).
_MIN_TAIL_SHARE = 0.5


def plan_segments(info: VideoInfo, options: SamplingOptions, segment_s: float) -> list[Segment]:
    """Split ``[0, info.duration_s)`` into consecutive segments of about ``segment_s`` seconds.

    The last segment absorbs a remainder shorter than half a segment. ``options.max_frames`` is
    shared out in proportion to each segment's duration: every segment gets at least one frame,
    and the quotas add up to ``max_frames`` whenever there are at least as many frames as
    segments.
    """
    if segment_s <= 0:
        raise ValueError(f"segment_s must be positive, got {segment_s}")
    duration = info.duration_s
    if duration <= 0:
        raise ValueError(f"the video has no duration ({duration} s)")
    count = int(duration // segment_s)
    remainder = duration - count * segment_s
    if count == 0 or remainder >= _MIN_TAIL_SHARE * segment_s:
        count += 1
    bounds = [min(i * segment_s, duration) for i in range(count)] + [duration]
    durations = [end - start for start, end in itertools.pairwise(bounds)]
    quotas = _share_frames(max(0, options.max_frames), durations)
    return [
        Segment(index=i, start_s=bounds[i], end_s=bounds[i + 1], max_frames=quotas[i])
        for i in range(count)
    ]


def _share_frames(total: int, durations: list[float]) -> list[int]:
    """``total`` frames shared by duration (largest remainder), at least one each."""
    count = len(durations)
    if total <= count:
        return [1] * count
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
