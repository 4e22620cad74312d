"""Events that cuts and motion spikes miss: local changes (words, objects) and gradual transitions.

Both detectors look only at the tiny YUV thumbnails ``decode.thumbnail`` makes (64x36 luma plus
two 32x18 chroma planes), so they cost microseconds per decoded frame.

- **Local change**: the picture is split into a coarse grid of cells. A frame is a "change" when a
  few cells differ a lot from the last *kept* frame while the rest of the picture still looks like
  it, and the changed cells have settled (they barely differ from the previous decoded frame). A
  caption appearing or changing, a person who walks in and stops, a sign coming into view: the
  content changed, not just moved. "Settled" is judged against a frame a quarter to three
  quarters of a second back (one of the transition detector's anchors), so an object still
  moving, however slowly, does not count. Comparing with the last kept frame (not only the previous
  decoded one) also catches changes that build up slowly, such as text fading in.
- **Gradual transition** (fade, dissolve): each decoded frame differs little from the one before,
  so the cut test never fires, but over a short window the whole picture changes as much as at a
  cut. What tells a transition from a camera pan is the path: in a fade or dissolve every pixel
  moves steadily from the old picture to the new one, so the change over the window is nearly the
  sum of the per-frame changes; in a pan, texture slides back and forth and the sum is far larger.
  Once the picture settles, its first steady frame is the new shot's first clean frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from videolens.video.decode import THUMB_H, THUMB_W, Thumb, mean_abs_diff
from videolens.video.types import TransitionTrack

# The grid: 8 x 6 cells, each 8x6 luma samples and 4x3 samples of each chroma plane.
GRID_COLS, GRID_ROWS = 8, 6
_Y_SIZE = THUMB_W * THUMB_H
_C_SIZE = (THUMB_W // 2) * (THUMB_H // 2)
# A cell "changed" when its mean absolute difference (luma + both chroma, 0-255 each) from the
# last kept frame reaches this: black words on a plate over a third of a cell measure ~40+, while
# compression noise and lighting flicker on real footage stay under ~10.
CELL_CHANGED = 20.0
# ...and "settled" when it differs by at most this from a frame at least CHANGE_SETTLE_S back (a
# person still walking through the cell measures more).
CELL_SETTLED = 6.0
CHANGE_SETTLE_S = 0.25
# A local change touches at most this share of the cells, and the unchanged rest of the picture
# stays this close to the last kept frame: otherwise the whole picture changed (a cut, a fade, a
# pan), which the other rules handle.
CHANGE_MAX_SHARE = 0.5
CHANGE_REST_MAX = 8.0
# Change frames no closer than this to the previous kept frame (s), and never closer than a
# quarter of the floor interval, so a busy scene adds a few frames, not one per decoded frame.
CHANGE_MIN_SPACING_S = 0.5
# Transitions: the window spans FADE_WINDOW_S to 2 x FADE_WINDOW_S (two rolling anchors). The
# change over it must reach the cut threshold (``selection.CUT_MIN_DIFF``) and be at least
# FADE_MIN_EFFICIENCY of the summed per-frame changes over the same frames.
FADE_WINDOW_S = 0.5
FADE_MIN_EFFICIENCY = 0.5
# A transition has settled when the per-frame change falls to this share of its peak (or to the
# motion level floor); a change that has not settled after FADE_MAX_S is motion, and dropped.
FADE_SETTLE_SHARE = 0.3
FADE_MAX_S = 3.0
# A settled picture this dark and flat (luma mean and standard deviation) is the black middle of
# a fade-out/in, not a new shot: no frame is kept for it, the fade-in that follows is.
DARK_MEAN = 40.0
FLAT_STD = 6.0


def cell_diffs(a: Thumb, b: Thumb) -> NDArray[np.float32]:
    """Per-cell mean absolute difference of two thumbnails, luma plus chroma (GRID_ROWS x COLS)."""
    delta = np.abs(a - b).astype(np.float32)
    # Area resampling to the grid is exactly the per-cell mean (cells tile the planes evenly),
    # and costs a few microseconds where numpy reductions cost tens.
    luma = delta[:_Y_SIZE].reshape(THUMB_H, THUMB_W)
    chroma = delta[_Y_SIZE:].reshape(2 * (THUMB_H // 2), THUMB_W // 2)
    cells = cv2.resize(luma, (GRID_COLS, GRID_ROWS), interpolation=cv2.INTER_AREA)
    both = cv2.resize(chroma, (GRID_COLS, 2 * GRID_ROWS), interpolation=cv2.INTER_AREA)
    return np.asarray(cells + both[:GRID_ROWS] + both[GRID_ROWS:], dtype=np.float32)


def is_black(thumb: Thumb) -> bool:
    """Whether the picture is nearly uniformly dark (the middle of a fade to black)."""
    luma = thumb[:_Y_SIZE]
    return float(luma.mean()) < DARK_MEAN and float(luma.std()) < FLAT_STD


def local_change(thumb: Thumb, kept: Thumb, earlier: Thumb) -> bool:
    """Whether ``thumb`` shows a settled local change from ``kept`` (see the module docstring)."""
    from_kept = cell_diffs(thumb, kept)
    changed = from_kept >= CELL_CHANGED
    count = int(np.count_nonzero(changed))
    if count == 0 or count > CHANGE_MAX_SHARE * changed.size:
        return False
    if float(from_kept[~changed].sum()) > CHANGE_REST_MAX * (changed.size - count):
        return False
    # The changed cells and their neighbours: a cell an object just left is settled, while the
    # object itself is still moving next door.
    return float(cell_diffs(thumb, earlier)[_grow(changed)].max()) <= CELL_SETTLED


_NEIGHBOURS = np.ones((3, 3), np.uint8)


def _grow(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """``mask`` with every cell's eight neighbours added."""
    grown = cv2.dilate(mask.astype(np.uint8), _NEIGHBOURS, borderType=cv2.BORDER_CONSTANT)
    return np.asarray(grown, dtype=bool)


@dataclass
class TransitionState(TransitionTrack):
    """The transition detector's running state (kept in checkpoints so resumes decide alike).

    ``anchor_old``/``anchor_new`` are thumbnails taken every ``FADE_WINDOW_S``; ``path_*`` is the
    running sum of per-frame differences at those anchors; ``pending_s`` is when a transition was
    noticed (``None`` when none is in progress) and ``peak`` its largest per-frame difference.
    """

    anchor_old: Thumb | None = None
    anchor_new: Thumb | None = None


class TransitionDetector:
    """Finds fades and dissolves from per-frame thumbnails; ``step`` returns True on the first
    settled frame after one."""

    def __init__(self, state: TransitionState, cut_min_diff: float, level_floor: float) -> None:
        self.s = state
        self.cut_min_diff, self.level_floor = cut_min_diff, level_floor

    @property
    def pending(self) -> bool:
        """Whether a transition is in progress (other rules hold back meanwhile)."""
        return self.s.pending_s is not None

    def earlier(self, t: float, age_s: float) -> Thumb | None:
        """The most recent anchor at least ``age_s`` before ``t`` (None just after a restart)."""
        s = self.s
        if s.anchor_new is not None and t - s.anchor_new_s >= age_s:
            return s.anchor_new
        if s.anchor_old is not None and t - s.anchor_old_s >= age_s:
            return s.anchor_old
        return None

    def restart(self, t: float, thumb: Thumb) -> None:
        """Start over from ``thumb`` (after a cut or a transition: the new shot's first frame)."""
        self.s.anchor_old = self.s.anchor_new = thumb
        self.s.anchor_old_s = self.s.anchor_new_s = t
        self.s.path_old = self.s.path_new = self.s.path
        self.s.pending_s, self.s.peak = None, 0.0

    def step(self, t: float, thumb: Thumb, diff: float) -> bool:
        """Feed one decoded frame (``diff``: its difference from the previous decoded frame)."""
        s = self.s
        s.path += diff
        if s.anchor_old is None or s.anchor_new is None:
            self.restart(t, thumb)
            return False
        if s.pending_s is None and t - s.anchor_old_s >= FADE_WINDOW_S:
            # (over a shorter window even a pan changes every pixel steadily)
            window = mean_abs_diff(thumb, s.anchor_old)
            travelled = s.path - s.path_old
            if window >= self.cut_min_diff and window >= FADE_MIN_EFFICIENCY * travelled:
                s.pending_s, s.peak = t, diff
        elif s.pending_s is not None:
            s.peak = max(s.peak, diff)
            settled = diff <= max(self.level_floor, FADE_SETTLE_SHARE * s.peak)
            if settled or t - s.pending_s >= FADE_MAX_S:
                # A change that never settles is continuous motion, not a transition.
                found = settled and not is_black(thumb)
                self.restart(t, thumb)
                return found
        if t - s.anchor_new_s >= FADE_WINDOW_S:
            s.anchor_old, s.anchor_old_s, s.path_old = s.anchor_new, s.anchor_new_s, s.path_new
            s.anchor_new, s.anchor_new_s, s.path_new = thumb, t, s.path
        return False
