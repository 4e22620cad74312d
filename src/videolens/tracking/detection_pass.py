"""The detection pass over a stretch of video: decode, detect at a steady rate, track.

Frames are taken on one grid for the whole video (``k / fps`` seconds), so two chunks that
overlap see the same instants, which is what stitching them together relies on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from videolens.errors import InvalidVideoError
from videolens.timeline.model import Detection
from videolens.tracking.chunk import TrackedChunk
from videolens.tracking.detect import FrameDetector, tile_regions
from videolens.tracking.tracker import MultiTracker
from videolens.video.decode import display_name, iter_frames, open_container, sample_aspect_ratio
from videolens.video.seeking import seek, seek_targets

DETECT_MAX_SIDE = 1920
"""Frames larger than this (4K) are scaled down to it first: tiles then stay affordable."""
PROBE_EVERY_S = 5.0
"""How often the pass checks whether tiles find more than the whole frame does. Tiling costs a
network pass per tile (15 for 1080p: 6-9 s for one tiled 1080p frame, measured on this loaded
2-core machine, against 0.3-1 s whole), so it runs only where a probe found small things the
whole-frame pass missed, until the next probe says otherwise."""

STILL_WIDTH = 320
"""Frames are compared on a greyscale copy this wide, blurred (5x5) against compression noise."""
STILL_DIFF = 40
"""A frame no pixel of which (in that copy) differs by more than this from the last frame the
detector saw is still: its things are that frame's, and the detector does not run. Measured on
vtest.avi at 2 fps (158 pairs of frames 0.5 s apart): where nobody walked, pixels differed by
27 at most (13 in the median pair); where someone walked, by 97 at least (204 in the median)."""
REDETECT_AFTER_S = 5.0
"""Even a still stretch is detected again this often (something too faint to change a pixel by
``STILL_DIFF`` is looked for at least this often)."""

MAX_PASS_FRAMES = 7200
"""The most frames one video's pass detects (an hour at 2 fps: ~12-20 min of CPU on two cores).
A longer video is passed at a lower rate, down to ``MIN_PASS_FPS``."""
MIN_PASS_FPS = 1.0
"""Below this rate a walker moves too far between frames to be followed (buffered IoU holds up
to ~1.5 body widths a frame); a video that long (over two hours) gets no pass, and its frames
are detected one by one as before."""


def pass_rate(duration_s: float, wanted_fps: float) -> float:
    """The rate a video of ``duration_s`` is passed at: ``wanted_fps``, lower for a long video
    so it stays within ``MAX_PASS_FRAMES``; 0.0 when even ``MIN_PASS_FPS`` would not."""
    if duration_s <= 0:
        return wanted_fps
    fps = min(wanted_fps, MAX_PASS_FRAMES / duration_s)
    return round(fps, 3) if fps >= MIN_PASS_FPS else 0.0


@dataclass
class ChunkRequest:
    """Which stretch to run: ``[read_from_s, end_s)``, owned from ``start_s`` on."""

    video_path: str
    index: int
    start_s: float
    end_s: float
    read_from_s: float
    fps: float


@dataclass
class _LastLook:
    """The frame the detector saw last: its time, its copy to compare with, what was found."""

    t: float = -math.inf
    still_copy: NDArray[np.uint8] | None = None
    found: list[Detection] = field(default_factory=list)


@dataclass
class _Tiling:
    """Whether frames are tiled now, and when to ask again."""

    active: bool = False
    next_probe_s: float = -math.inf
    frames: int = 0


def run_chunk(request: ChunkRequest, detector: FrameDetector) -> TrackedChunk:
    """Detect and track over the request's stretch (track ids are the chunk's own)."""
    started = time.monotonic()
    tracker = MultiTracker(request.fps)
    tiling, last = _Tiling(), _LastLook()
    frames = [
        tracker.update(t, _look(detector, image, t, tiling, last))
        for t, image in grid_frames(request)
    ]
    stretch = TrackedChunk.model_validate(request, from_attributes=True)  # its index and times
    return stretch.model_copy(
        update={
            "frames": frames,
            "tiled_frames": tiling.frames,
            "seconds": round(time.monotonic() - started, 3),
        }
    )


def _look(
    detector: FrameDetector,
    image: NDArray[np.uint8],
    t: float,
    tiling: _Tiling,
    last: _LastLook,
) -> list[Detection]:
    """The things in the frame at ``t``: the last detected frame's where nothing moved since
    (see ``STILL_DIFF``), else the detector's."""
    still_copy = _still_copy(image)
    if (
        last.still_copy is not None
        and t - last.t < REDETECT_AFTER_S
        and _unchanged(still_copy, last.still_copy)
    ):
        return last.found
    last.t, last.still_copy = t, still_copy
    last.found = _detect(detector, image, t, tiling)
    return last.found


def _still_copy(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    height, width = image.shape[:2]
    size = (STILL_WIDTH, max(1, round(height * STILL_WIDTH / width)))
    grey = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), size, interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.uint8)


def _unchanged(copy: NDArray[np.uint8], earlier: NDArray[np.uint8]) -> bool:
    return copy.shape == earlier.shape and int(cv2.absdiff(copy, earlier).max()) <= STILL_DIFF


def _detect(
    detector: FrameDetector, image: NDArray[np.uint8], t: float, tiling: _Tiling
) -> list[Detection]:
    height, width = image.shape[:2]
    if t >= tiling.next_probe_s and tile_regions(width, height):
        tiling.next_probe_s = t + PROBE_EVERY_S
        whole = detector.detect(image)
        tiled = detector.detect(image, tiled=True)
        tiling.active = len(tiled) > len(whole)
        tiling.frames += 1
        return tiled if tiling.active else whole
    if tiling.active:
        tiling.frames += 1
    return detector.detect(image, tiled=tiling.active)


def grid_frames(request: ChunkRequest) -> Iterator[tuple[float, NDArray[np.uint8]]]:
    """Upright BGR frames at their displayed size, one per grid instant in the stretch: the
    first decoded frame at or after each ``k / fps``."""
    step = 1.0 / request.fps
    container = open_container(request.video_path)
    try:
        if not container.streams.video:
            raise InvalidVideoError(f"{display_name(request.video_path)} has no video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        # Frames are taken a few times a second: B-frames need not be decoded at all. Measured on
        # 30 s of the 720p bench clip: 0.84 s CPU instead of 1.24 s, the same 60 frames taken.
        stream.codec_context.skip_frame = "NONREF"
        aspect = sample_aspect_ratio(stream)
        k = math.ceil(request.read_from_s * request.fps - 1e-6)
        for t, frame in _frames_from(container, stream, request.read_from_s):
            if t >= request.end_s - 1e-6:
                break
            if t + 1e-6 < k * step:
                continue
            yield t, _upright(frame, aspect)
            k = math.floor(t * request.fps + 1e-6) + 1
    finally:
        container.close()


def _frames_from(container: Any, stream: Any, at_s: float) -> Iterator[tuple[float, Any]]:
    """Decoded frames from the keyframe at or before ``at_s`` (seeking further back where a
    container without an index lands after it)."""
    for target in seek_targets(at_s):
        seek(container, stream, target)
        frames = iter_frames(container, stream)
        first = next(frames, None)
        if first is None:
            if target <= 0:
                return
            continue
        if first[0] <= at_s + 1e-6 or target <= 0:
            yield first
            yield from frames
            return


def _upright(frame: Any, aspect: float) -> NDArray[np.uint8]:
    width, height = round(frame.width * aspect), frame.height
    scale = min(1.0, DETECT_MAX_SIDE / max(width, height))
    size = {"width": max(2, round(width * scale)), "height": max(2, round(height * scale))}
    pixels = frame.to_ndarray(format="bgr24", **size)
    turns = (int(getattr(frame, "rotation", 0) or 0) // 90) % 4
    if turns:
        pixels = np.rot90(pixels, k=turns)
    return np.ascontiguousarray(pixels, dtype=np.uint8)
