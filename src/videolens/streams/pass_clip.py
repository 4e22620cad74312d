"""What a live stream's detection pass reads: each window's frames on a steady grid, written as
a short lossless clip, so the pass runs over a window exactly as it runs over a video's segment.

The grid is the wall clock's: frame ``k`` is the first decoded frame at or after ``k / fps``
Unix seconds, and it is written at clip time ``(k - first_k) / fps`` (its grid instant, not its
arrival: the pass takes one frame per grid instant of the clip, and a frame a few milliseconds
early on the clip's own grid would be skipped). Each clip starts with the last ``overlap_s`` of
the window before it, so the two windows' tracks can be joined (``tracking.stitch``).
"""

from __future__ import annotations

import math
from collections import deque
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from videolens.streams.types import PassClipRef

CLIP_SUFFIX = ".mkv"
MAX_SIDE = 1920
"""Larger frames (4K) are scaled down first, as the pass does for a video's frames."""
TIME_BASE = Fraction(1, 1000)


def clip_time(k: int, first_k: int, fps: float) -> float:
    """The time (seconds) grid frame ``k`` has in a clip that starts at ``first_k``: rounded up
    to the clip's milliseconds, so it is never before its instant on the clip's grid."""
    return math.ceil((k - first_k) * 1000 / fps - 1e-6) / 1000


class PassClipWriter:
    """Keeps the grid frames of one connection, window by window; not thread-safe."""

    def __init__(self, folder: Path, fps: float, overlap_s: float) -> None:
        self.folder, self.fps = folder, fps
        self._held: deque[tuple[int, Any]] = deque(maxlen=max(1, round(overlap_s * fps)))
        self._next_k = -math.inf
        self._output: Any = None
        self._stream: Any = None
        self._path: Path | None = None
        self._first_k = self._own_from_k = self._last_k = 0

    def offer(self, at: float, frame: Any, aspect: float = 1.0) -> None:
        """Consider one decoded frame (``at``: its wall-clock time; ``aspect``: its stream's
        sample aspect ratio); written when it is the first at or after the next grid instant."""
        k = math.floor(at * self.fps + 1e-6)  # the last grid instant at or before it
        if k < self._next_k:
            return
        self._next_k = k + 1
        if self._output is None:
            self._open(k, frame, aspect)
        assert self._stream is not None
        scaled = frame.reformat(
            width=self._stream.width, height=self._stream.height, format="yuv420p"
        )
        self._write(k, scaled)
        self._held.append((k, scaled))
        self._last_k = k

    def finish(self) -> PassClipRef | None:
        """Close this window's clip; its reference, or None when no frame came in it."""
        if self._output is None or self._path is None:
            return None
        self._output.mux(self._stream.encode())
        self._output.close()
        ref = PassClipRef(
            path=str(self._path),
            fps=self.fps,
            first_k=self._first_k,
            own_from_k=self._own_from_k,
            end_k=self._last_k + 1,
        )
        self._output = self._stream = self._path = None
        return ref

    def discard(self) -> None:
        """Forget the held overlap (the connection dropped: what comes next is not its sequel)."""
        self.finish()
        self._held.clear()
        self._next_k = -math.inf

    def _open(self, k: int, frame: Any, aspect: float) -> None:
        # The overlap is kept only where it leads straight into this frame (no gap between).
        held = list(self._held)
        if held and k - held[-1][0] > len(held) + 1:
            held = []
        first_k = held[0][0] if held else k
        width, height = _size(frame, aspect, held)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._path = self.folder / f"{first_k}-{round(self.fps * 1000)}{CLIP_SUFFIX}"
        self._output = av.open(str(self._path), mode="w", format="matroska")
        stream = self._output.add_stream("ffv1", rate=max(1, round(self.fps)))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = TIME_BASE
        self._stream = stream
        self._first_k, self._own_from_k = first_k, k
        for held_k, held_frame in held:
            self._write(held_k, held_frame)

    def _write(self, k: int, frame: Any) -> None:
        # A held frame is written again in the next clip, at that clip's time.
        frame.pts = round(clip_time(k, self._first_k, self.fps) * 1000)
        frame.time_base = TIME_BASE
        for packet in self._stream.encode(frame):
            self._output.mux(packet)


def _size(frame: Any, aspect: float, held: list[tuple[int, Any]]) -> tuple[int, int]:
    """The clip's frame size: the held overlap's (it is written first), else the frame's
    displayed size, at most ``MAX_SIDE``; even, as yuv420p needs."""
    if held:
        return held[0][1].width, held[0][1].height
    width, height = frame.width * aspect, frame.height
    scale = min(1.0, MAX_SIDE / max(width, height))
    return 2 * max(1, round(width * scale / 2)), 2 * max(1, round(height * scale / 2))
