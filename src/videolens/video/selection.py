"""Which decoded frames to keep: the adaptive and interval rules, the cap, and their state.

``FrameSelector`` sees one thumbnail per decoded frame and answers "keep it, and why" or "skip";
it never touches pixels beyond the thumbnail, so it costs microseconds per frame.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass

import numpy as np

from videolens.video.decode import Thumb, mean_abs_diff
from videolens.video.types import (
    FrameRef,
    SamplerState,
    SamplingOptions,
    Segment,
    SegmentCheckpoint,
)

# All differences are mean absolute differences of the YUV thumbnails, on a 0-255 scale.
# A cut changes most of the picture: real cuts measure 20-100, while camera noise and ordinary
# motion stay under ~8. Both tests must pass: above the absolute floor AND well above the recent
# level, so a fast pan or a shaky camera (high level) does not read as a string of cuts.
CUT_MIN_DIFF = 20.0
CUT_LEVEL_RATIO = 4.0
# Motion spike: clearly more change than the recent level, but short of a cut.
MOTION_MIN_DIFF = 4.0
MOTION_LEVEL_RATIO = 3.0
# Motion frames no closer than this share of the floor interval to the previous kept frame, so a
# burst of action adds a few frames, not one per decoded frame.
MOTION_MIN_SPACING = 0.25
# The "recent level" is an exponential moving average over ~10 decoded frames; it never drops
# below LEVEL_FLOOR so that on a perfectly static shot a tiny flicker is not "3x the level".
LEVEL_ALPHA = 0.1
LEVEL_FLOOR = 1.0
# Near-duplicates: a floor/motion candidate is dropped when under DUP_MAX_CHANGED of its
# thumbnail samples differ from the last kept frame's by more than DUP_PIXEL_DELTA (compression
# noise stays under it). Counting changed samples, not the mean difference, keeps a small object
# that moved (a person crossing a still room) from reading as "nothing new". Dropping never
# stretches a gap to DUP_MAX_GAP x floor_interval_s: a frozen picture still gets a frame every 3
# floor intervals, anything that moves gets the full floor rate. Shot frames are never dropped.
DUP_PIXEL_DELTA = 16
DUP_MAX_CHANGED = 0.005
DUP_MAX_GAP = 3.0
# Tolerance for comparing timestamps computed from integer pts.
EPS = 1e-6

# Which kept frames the cap evicts first: floor/interval, then motion, shot frames last.
PRIORITY = {"shot": 3, "motion": 2, "floor": 1, "interval": 1}


@dataclass
class Choice:
    """Why a frame is kept."""

    reason: str
    motion: float
    shot_start: bool


class FrameSelector:
    """Decides frame by frame what one segment keeps; resumable from a ``SegmentCheckpoint``."""

    def __init__(
        self, segment: Segment, options: SamplingOptions, checkpoint: SegmentCheckpoint | None
    ) -> None:
        self.segment, self.options = segment, options
        self.adaptive = options.strategy != "interval"
        self.prev: Thumb | None = None
        state = checkpoint.state if checkpoint else SamplerState()
        self.frames: list[FrameRef] = list(checkpoint.frames) if checkpoint else []
        self.shot_starts_s: list[float] = list(checkpoint.shot_starts_s) if checkpoint else []
        self.level = state.motion_level
        self.last_kept_s = state.last_kept_s
        self.floor_due_s = state.floor_due_s
        self.last_thumb = _decode_thumb(state.last_kept_thumb)
        self.next_interval = (
            state.next_interval
            if checkpoint
            else math.ceil(segment.start_s / options.interval_s - EPS)
        )

    def reference(self, thumb: Thumb, *, track_level: bool) -> None:
        """A frame decoded only as context (before the segment, or replayed after a resume)."""
        if track_level and self.prev is not None:
            diff = mean_abs_diff(thumb, self.prev)
            if not self._is_cut(diff):
                self._track(diff)
        self.prev = thumb

    def consider(self, t: float, thumb: Thumb) -> Choice | None:
        """Whether to keep the frame at ``t`` seconds (within the segment)."""
        diff = None if self.prev is None else mean_abs_diff(thumb, self.prev)
        self.prev = thumb
        if not self.adaptive:
            return self._interval(t, diff)
        if diff is None:  # no reference frame: the start of the video, or nothing before it
            if self.last_kept_s is None:
                start = self.segment.start_s <= EPS
                return Choice("shot" if start else "floor", 0.0, start)
            return None
        if self._is_cut(diff):
            self.shot_starts_s.append(round(t, 3))
            return Choice("shot", diff, True)
        level = self.level
        self._track(diff)
        due = self.floor_due_s if self.floor_due_s is not None else self.segment.start_s
        since = math.inf if self.last_kept_s is None else t - self.last_kept_s
        floor = self.options.floor_interval_s
        if t + EPS >= due:
            reason = "floor"
        elif (
            diff >= MOTION_MIN_DIFF
            and diff >= MOTION_LEVEL_RATIO * max(level or 0.0, LEVEL_FLOOR)
            and since >= MOTION_MIN_SPACING * floor
        ):
            reason = "motion"
        else:
            return None
        if (
            self.last_thumb is not None
            and since + EPS < DUP_MAX_GAP * floor
            and _changed_share(thumb, self.last_thumb) < DUP_MAX_CHANGED
        ):
            if reason == "floor":
                self.floor_due_s = due + floor  # look again one floor interval later
            return None
        return Choice(reason, diff, False)

    def keep(self, frame: FrameRef, t: float, thumb: Thumb) -> list[FrameRef]:
        """Record a kept frame; return the frames the cap evicted (their JPEGs are stale)."""
        self.frames.append(frame)
        self.last_kept_s, self.last_thumb = t, thumb
        self.floor_due_s = t + self.options.floor_interval_s
        if not self.adaptive:
            self.next_interval = math.floor((t + EPS) / self.options.interval_s) + 1
        evicted = []
        while len(self.frames) > max(1, self.segment.max_frames):
            evicted.append(self.frames.pop(self._victim()))
        return evicted

    def state(self) -> SamplerState:
        """The running state a resumed run needs to decide the same way."""
        thumb = "" if self.last_thumb is None else _encode_thumb(self.last_thumb)
        return SamplerState(
            motion_level=self.level,
            last_kept_s=self.last_kept_s,
            floor_due_s=self.floor_due_s,
            last_kept_thumb=thumb,
            next_interval=self.next_interval,
        )

    def _interval(self, t: float, diff: float | None) -> Choice | None:
        target = self.next_interval * self.options.interval_s
        if t + EPS >= target and target < self.segment.end_s - EPS:
            return Choice("interval", diff or 0.0, False)
        return None

    def _is_cut(self, diff: float) -> bool:
        level = max(self.level or 0.0, LEVEL_FLOOR)
        return diff >= CUT_MIN_DIFF and diff >= CUT_LEVEL_RATIO * level

    def _track(self, diff: float) -> None:
        self.level = diff if self.level is None else self.level + LEVEL_ALPHA * (diff - self.level)

    def _victim(self) -> int:
        """The kept frame to evict: lowest priority, then the one whose loss leaves the smallest
        gap (so the survivors stay evenly spread), earliest on a tie."""
        lowest = min(PRIORITY.get(f.reason, 0) for f in self.frames)
        times = [self.segment.start_s] + [f.timestamp_s for f in self.frames]
        times.append(max(self.segment.end_s, times[-1]))
        best, best_gap = 0, math.inf
        for i, frame in enumerate(self.frames):
            if PRIORITY.get(frame.reason, 0) != lowest:
                continue
            gap = times[i + 2] - times[i]
            if gap < best_gap - EPS:
                best, best_gap = i, gap
        return best


def _changed_share(a: Thumb, b: Thumb) -> float:
    """Share of thumbnail samples that differ by more than ``DUP_PIXEL_DELTA``."""
    return float(np.count_nonzero(np.abs(a - b) > DUP_PIXEL_DELTA)) / a.size


def _encode_thumb(thumb: Thumb) -> str:
    return base64.b64encode(thumb.astype(np.uint8).tobytes()).decode("ascii")


def _decode_thumb(text: str) -> Thumb | None:
    if not text:
        return None
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8).astype(np.int16)
