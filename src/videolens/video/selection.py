"""Which decoded frames to keep: the adaptive and interval rules, the cap, and their state.

``FrameSelector`` sees one thumbnail per decoded frame and answers "keep it, and why" or "skip";
it never touches pixels beyond the thumbnail, so it costs microseconds per frame.

The adaptive rules, in order: a cut starts a shot ("shot"); the floor keeps the gap between kept
frames within the floor interval ("floor"); the first steady frame after a fade or dissolve
("fade"); a motion spike ("motion"); a settled local change such as words appearing ("change").
The floor frame is the latest decoded frame at or before the due time (the sampler holds one
decoded frame back for it), so no gap exceeds the floor wherever the video has frames that close.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from videolens.video.decode import Thumb, mean_abs_diff
from videolens.video.events import (
    CHANGE_MIN_SPACING_S,
    CHANGE_SETTLE_S,
    TransitionDetector,
    TransitionState,
    local_change,
)
from videolens.video.segments import effective_floor
from videolens.video.types import (
    FrameRef,
    SamplerState,
    SamplingOptions,
    Segment,
    SegmentCheckpoint,
    TransitionCheckpoint,
    TransitionTrack,
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
# Near-duplicates: a motion, change or fade candidate is dropped when under DUP_MAX_CHANGED of
# its thumbnail samples differ from the last kept frame's by more than DUP_PIXEL_DELTA
# (compression noise stays under it). Counting changed samples, not the mean difference, keeps a
# small object that moved (a person crossing a still room) from reading as "nothing new". Floor
# and shot frames are never dropped: the floor is a promise about gaps.
DUP_PIXEL_DELTA = 16
DUP_MAX_CHANGED = 0.005
# Decoding damage: a "cut" whose next frame looks like the frame before it again (differs by
# under GLITCH_RETURN_DIFF) was one damaged frame (a block of garbage over the picture), not a
# new shot. Real cuts never come back on the next frame.
GLITCH_RETURN_DIFF = 10.0
# Tolerance for comparing timestamps computed from integer pts.
EPS = 1e-6

# A "shot" shorter than this (a one-frame flash, a black leader frame) is replaced by the shot
# that follows it: Megamind.avi opens with one black frame, then a cut 42 ms later.
MIN_SHOT_S = 0.25
# Which kept frames the cap evicts first: floor/interval, then motion and change; shot and fade
# frames (shot starts) only when nothing else is left. See ``FrameSelector._victim``.
PRIORITY = {"shot": 3, "fade": 3, "motion": 2, "change": 2, "floor": 1, "interval": 1}
BOUNDARY_PRIORITY = 3
# Frames added between floor frames. The floor's timer ignores them, so the cap can always evict
# one without opening a gap wider than the floor.
EXTRA_REASONS = frozenset({"motion", "change"})


@dataclass
class Choice:
    """Why a frame is kept."""

    reason: str
    motion: float
    shot_start: bool

    def frame_ref(self, index: int, t: float, path: Path, size: tuple[int, int]) -> FrameRef:
        """The reference of the frame kept at ``t``, written to ``path`` at ``size`` (w, h)."""
        width, height = size
        return FrameRef(
            index=index,
            timestamp_s=round(t, 3),
            path=str(path),
            reason=self.reason,
            motion=round(self.motion, 2),
            shot_start=self.shot_start,
            width=width,
            height=height,
        )


class FrameSelector:
    """Decides frame by frame what one segment keeps; resumable from a ``SegmentCheckpoint``."""

    def __init__(
        self,
        segment: Segment,
        options: SamplingOptions,
        checkpoint: SegmentCheckpoint | None,
        fps: float = 25.0,
    ) -> None:
        self.segment, self.options = segment, options
        self.adaptive = options.strategy != "interval"
        self.floor = effective_floor(segment, options, fps)
        self.prev: Thumb | None = None
        self.diff = 0.0  # the last considered frame's difference from the one before
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
        self.transitions = TransitionDetector(
            _transition_state(state.transition), CUT_MIN_DIFF, LEVEL_FLOOR
        )
        # The frame before the last cut, while the frame after it is not yet seen; and the time
        # of a cut found to be a damaged frame, until the sampler takes it (``take_damaged``).
        self.before_cut: tuple[float, Thumb] | None = None
        self.damaged_s: float | None = None

    def reference(self, thumb: Thumb, *, track_level: bool) -> None:
        """A frame decoded only as context (before the segment, or replayed after a resume)."""
        if track_level and self.prev is not None:
            diff = mean_abs_diff(thumb, self.prev)
            if not self._is_cut(diff):
                self._track(diff)
        self.prev = thumb

    def holds_back(self, t: float) -> bool:
        """Whether a decoded frame at ``t`` that was not kept may still become a floor frame."""
        return self.adaptive and (self.last_kept_s is None or t > self.last_kept_s + EPS)

    def floor_overdue(self, t: float) -> bool:
        """Whether the frame held back must be kept as a floor frame before the one at ``t``:
        ``t`` (the next decoded frame, or the segment's end) is past the floor's due time, so
        waiting for it would stretch the gap beyond the floor interval."""
        if not self.adaptive or self.last_kept_s is None or self.floor_due_s is None:
            return False
        return t > self.floor_due_s + EPS

    def consider(self, t: float, thumb: Thumb) -> Choice | None:
        """Whether to keep the frame at ``t`` seconds (within the segment)."""
        previous = self.prev
        diff = None if previous is None else mean_abs_diff(thumb, previous)
        self.prev, self.diff = thumb, diff or 0.0
        if not self.adaptive:
            return self._interval(t, diff)
        if self.before_cut is not None:
            cut_s, before = self.before_cut
            self.before_cut = None
            if mean_abs_diff(thumb, before) < GLITCH_RETURN_DIFF:
                self._glitch(cut_s, before)
                diff = self.diff = mean_abs_diff(thumb, before)
                previous = before
        if diff is None or previous is None:  # no reference frame: the start of the video
            self.transitions.restart(t, thumb)
            if self.last_kept_s is None:
                start = self.segment.start_s <= EPS
                return Choice("shot" if start else "floor", 0.0, start)
            return None
        if self._is_cut(diff):
            self.transitions.restart(t, thumb)
            self.shot_starts_s.append(round(t, 3))
            self.before_cut = (t, previous)
            return Choice("shot", diff, True)
        level = self.level
        self._track(diff)
        faded = self.transitions.step(t, thumb, diff)
        due = self.floor_due_s if self.floor_due_s is not None else self.segment.start_s
        kept = self.last_kept_s
        if kept is not None and due - self.floor + EPS < kept <= due + EPS < t:
            # An extra frame kept since the last floor frame is the latest frame before the due
            # time: it serves as the floor frame, and the floor counts on from it.
            self.floor_due_s = due = kept + self.floor
        since = math.inf if self.last_kept_s is None else t - self.last_kept_s
        if faded and not self._duplicate(thumb):
            self.shot_starts_s.append(round(t, 3))
            return Choice("fade", diff, True)
        if t + EPS >= due:
            return Choice("floor", diff, False)
        if self.transitions.pending or self._duplicate(thumb):
            return None  # mid-transition every frame differs; the settled one is kept
        if not self._room_for_extra(due):
            return None
        if (
            diff >= MOTION_MIN_DIFF
            and diff >= MOTION_LEVEL_RATIO * max(level or 0.0, LEVEL_FLOOR)
            and since >= MOTION_MIN_SPACING * self.floor
        ):
            return Choice("motion", diff, False)
        spacing = min(max(CHANGE_MIN_SPACING_S, MOTION_MIN_SPACING * self.floor), 1.0)
        earlier = self.transitions.earlier(t, CHANGE_SETTLE_S)
        if (
            self.last_thumb is not None
            and earlier is not None
            and since >= spacing
            and local_change(thumb, self.last_thumb, earlier)
        ):
            return Choice("change", diff, False)
        return None

    def _room_for_extra(self, due: float) -> bool:
        """Whether the quota holds a motion or change frame besides the floor frames still due
        in the segment. Where it is short (a long video's budget), an extra frame kept now would
        later push out a floor frame and open a gap wider than the floor."""
        end = self.segment.end_s
        floor_due = 0 if due >= end - EPS else 1 + math.floor((end - EPS - due) / self.floor)
        return len(self.frames) + floor_due < self.segment.max_frames

    def take_damaged(self) -> float | None:
        """The time of a kept "shot" frame just found to be decoding damage (once), or None."""
        damaged, self.damaged_s = self.damaged_s, None
        return damaged

    def _glitch(self, cut_s: float, before: Thumb) -> None:
        """The frame at ``cut_s`` was damage: no shot starts there; the picture goes on."""
        self.shot_starts_s = [s for s in self.shot_starts_s if abs(s - round(cut_s, 3)) > EPS]
        self.damaged_s = cut_s
        self.transitions.restart(cut_s, before)
        if self.last_kept_s is not None and abs(self.last_kept_s - cut_s) <= EPS:
            self.last_thumb = before

    def keep(self, frame: FrameRef, t: float, thumb: Thumb) -> list[FrameRef]:
        """Record a kept frame; return the frames dropped (their JPEGs are stale): a flash the
        new shot replaces, or what the cap evicted."""
        evicted = self._replace_flash(frame)
        self.frames.append(frame)
        self.last_kept_s, self.last_thumb = t, thumb
        if frame.reason not in EXTRA_REASONS:
            self.floor_due_s = t + self.floor
        if not self.adaptive:
            self.next_interval = math.floor((t + EPS) / self.options.interval_s) + 1
        while len(self.frames) > max(1, self.segment.max_frames):
            evicted.append(self.frames.pop(self._victim()))
        return evicted

    def _replace_flash(self, frame: FrameRef) -> list[FrameRef]:
        """A shot that lasted less than MIN_SHOT_S (a black leader frame, a one-frame flash) is
        no shot: the new shot's frame replaces its frame, and only one shot starts there."""
        last = self.frames[-1] if self.frames else None
        if not (
            frame.shot_start
            and last is not None
            and last.shot_start
            and frame.timestamp_s - last.timestamp_s < MIN_SHOT_S
        ):
            return []
        self.frames.pop()
        flash_s, new_s = round(last.timestamp_s, 3), round(frame.timestamp_s, 3)
        if any(abs(s - flash_s) <= EPS for s in self.shot_starts_s):
            self.shot_starts_s = [s for s in self.shot_starts_s if abs(s - flash_s) > EPS]
        else:
            # The flash opened the video, whose start is always a shot start: the new shot is
            # that first shot, not a second one.
            self.shot_starts_s = [s for s in self.shot_starts_s if abs(s - new_s) > EPS]
        return [last]

    def state(self) -> SamplerState:
        """The running state a resumed run needs to decide the same way."""
        thumb = "" if self.last_thumb is None else _encode_thumb(self.last_thumb)
        return SamplerState(
            motion_level=self.level,
            last_kept_s=self.last_kept_s,
            floor_due_s=self.floor_due_s,
            last_kept_thumb=thumb,
            next_interval=self.next_interval,
            transition=_transition_checkpoint(self.transitions.s),
        )

    def _duplicate(self, thumb: Thumb) -> bool:
        return (
            self.last_thumb is not None and _changed_share(thumb, self.last_thumb) < DUP_MAX_CHANGED
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
        """The kept frame the cap evicts.

        Shot starts (cuts, fades) go last. Among the rest, first a frame whose loss keeps the gap
        between its neighbours within the floor (so the cap never opens a hole while it can
        avoid one), then the lowest priority, then the smallest resulting gap (the survivors stay
        evenly spread), earliest on a tie. The frame before the first kept one lies in the
        segment before, up to a floor before the start: taking the first frame away looks as if
        it left a gap wider than the floor, so the floor holds across the boundary too.
        """
        times = [self.segment.start_s - self.floor] + [f.timestamp_s for f in self.frames]
        times.append(max(self.segment.end_s, times[-1]))
        best, best_key = 0, (math.inf, math.inf, math.inf, math.inf)
        for i, frame in enumerate(self.frames):
            priority = PRIORITY.get(frame.reason, 0)
            gap = times[i + 2] - times[i]
            key = (
                float(priority >= BOUNDARY_PRIORITY),
                float(gap > self.floor + EPS),
                float(priority),
                gap,
            )
            if key < best_key and (key[:3] != best_key[:3] or gap < best_key[3] - EPS):
                best, best_key = i, key
        return best


def _track(source: TransitionTrack) -> dict[str, Any]:
    """The fields the detector's state and its checkpoint share, by name."""
    return {f.name: getattr(source, f.name) for f in fields(TransitionTrack)}


def _transition_state(saved: TransitionCheckpoint) -> TransitionState:
    return TransitionState(
        anchor_old=_decode_thumb(saved.anchor_old_thumb),
        anchor_new=_decode_thumb(saved.anchor_new_thumb),
        **_track(saved),
    )


def _transition_checkpoint(state: TransitionState) -> TransitionCheckpoint:
    return TransitionCheckpoint(
        anchor_old_thumb="" if state.anchor_old is None else _encode_thumb(state.anchor_old),
        anchor_new_thumb="" if state.anchor_new is None else _encode_thumb(state.anchor_new),
        **_track(state),
    )


def _changed_share(a: Thumb, b: Thumb) -> float:
    """Share of thumbnail samples that differ by more than ``DUP_PIXEL_DELTA``."""
    return float(np.count_nonzero(np.abs(a - b) > DUP_PIXEL_DELTA)) / a.size


def _encode_thumb(thumb: Thumb) -> str:
    return base64.b64encode(thumb.astype(np.uint8).tobytes()).decode("ascii")


def _decode_thumb(text: str) -> Thumb | None:
    if not text:
        return None
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8).astype(np.int16)
