"""The adaptive sampler over a live stream: the file sampler's rules, frame after frame.

``FrameSelector`` (``videolens.video.selection``) decides as it does for files — cuts, fades,
local changes such as words appearing, motion spikes, and the floor — over one open-ended segment
per connection epoch. As in the file sampler, the latest decoded frame not kept is held back: the
floor may still want it when the next frame comes too late. Kept frames are written as JPEGs at
once; only their references leave this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videolens.streams.types import StreamFrameRef
from videolens.video.decode import Thumb, save_sampled, thumbnail
from videolens.video.selection import Choice, FrameSelector
from videolens.video.types import SamplingOptions, Segment

# One segment per epoch, longer than any stream runs; the selector's cap never bites.
OPEN_ENDED = Segment(index=0, start_s=0.0, end_s=1e12, max_frames=1 << 40)

NewRef = Callable[[float, Any, Choice], StreamFrameRef]


@dataclass
class _Held:
    t: float
    at: float
    frame: Any
    thumb: Thumb
    diff: float


class LiveSampler:
    """Chooses frames of one connection epoch (media times ``t`` from 0) and writes them."""

    def __init__(self, options: SamplingOptions, fps: float, stream: Any) -> None:
        self.options = options
        self.stream = stream
        self.selector = FrameSelector(OPEN_ENDED, options, None, fps)
        self.held: _Held | None = None
        self.first = True

    def offer(self, t: float, at: float, frame: Any, write: NewRef) -> list[StreamFrameRef]:
        """Consider one decoded frame; return the frames written because of it (0, 1 or 2)."""
        kept: list[StreamFrameRef] = []
        thumb = thumbnail(frame)
        if self.held is not None and self.selector.floor_overdue(t):
            held, self.held = self.held, None
            floor = Choice("floor", held.diff, False)
            kept.append(self._keep(held.t, held.at, held.frame, held.thumb, floor, write))
        choice = self.selector.consider(t, thumb)
        self.selector.take_damaged()  # damage flags matter for files' shot lists, not here
        if choice is None:
            if self.selector.holds_back(t):
                self.held = _Held(t, at, frame, thumb, self.selector.diff)
            return kept
        self.held = None
        if self.first:
            # A connection's first frame is where watching (re)starts, not a cut in the video.
            choice, self.first = Choice("start", 0.0, False), False
        kept.append(self._keep(t, at, frame, thumb, choice, write))
        return kept

    def _keep(
        self, t: float, at: float, frame: Any, thumb: Thumb, choice: Choice, write: NewRef
    ) -> StreamFrameRef:
        ref = write(at, frame, choice)
        self.selector.keep(ref.as_frame_ref(), t, thumb)
        # The selector's list serves the file sampler's cap and flash replacement; a live
        # stream's frames are already on their way to be described, so none is ever taken back.
        self.selector.frames.clear()
        return ref

    def save(self, frame: Any, path: Path) -> tuple[int, int]:
        """Write ``frame`` as the sampler's JPEG (upright, displayed aspect, resized)."""
        return save_sampled(frame, path, self.options, self.stream)
