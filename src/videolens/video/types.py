"""Dataclasses that describe a video and the frames sampled from it.

They cross Temporal boundaries, so they hold references and numbers only, never pixels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass
class VideoInfo:
    """What ``probe_video`` learns about a file."""

    path: str
    duration_s: float
    fps: float
    frame_count: int
    width: int
    height: int
    codec: str
    # Degrees counter-clockwise to turn frames upright (FFmpeg's display-matrix convention, as
    # ffprobe prints it): 0, 90, 180 or 270. ``width``/``height`` are the stored (unrotated) size.
    rotation: int = 0
    has_audio: bool = False
    container: str = ""
    size_bytes: int = 0


@dataclass
class SamplingOptions:
    """How to pick frames. ``strategy`` is ``"adaptive"`` or ``"interval"``."""

    strategy: str = "adaptive"
    interval_s: float = 2.0
    floor_interval_s: float = 5.0
    max_frames: int = 300
    max_side: int = 768
    jpeg_quality: int = 85


@dataclass
class FrameRef:
    """A sampled frame written to disk as a JPEG.

    ``reason`` says why it was kept: ``"shot"`` (first frame of a new shot), ``"motion"`` (a motion
    spike), ``"floor"`` (the adaptive floor rate) or ``"interval"``. ``motion`` is the mean absolute
    difference to the previous decoded frame on a 0-255 scale; ``shot_index`` counts shots from 0
    within the segment's reference (the pipeline renumbers across segments).
    """

    index: int
    timestamp_s: float
    path: str
    reason: str = "interval"
    motion: float = 0.0
    shot_start: bool = False
    width: int = 0
    height: int = 0


@dataclass
class Segment:
    """A time range ``[start_s, end_s)`` of a video, sampled independently of the others."""

    index: int
    start_s: float
    end_s: float
    max_frames: int


@dataclass
class SegmentSample:
    """The frames one segment kept, and how much of the video it decoded."""

    segment: Segment
    frames: list[FrameRef] = field(default_factory=list)
    frames_decoded: int = 0
    shot_starts_s: list[float] = field(default_factory=list)


@dataclass
class SamplerState:
    """The adaptive sampler's running state at a checkpoint, so a resumed run decides alike.

    ``last_kept_thumb`` is the base64 of the last kept frame's tiny thumbnail (a few KiB), used
    for near-duplicate checks; times are seconds from the video start.
    """

    motion_level: float | None = None
    last_kept_s: float | None = None
    floor_due_s: float | None = None
    last_kept_thumb: str = ""
    next_interval: int = 0


@dataclass
class SegmentCheckpoint:
    """Progress of one segment, sent as Temporal heartbeat details and used to resume.

    ``position_s`` is the timestamp of the last frame processed; every file in ``frames`` exists.
    """

    position_s: float
    frames: list[FrameRef]
    frames_decoded: int
    shot_starts_s: list[float] = field(default_factory=list)
    state: SamplerState = field(default_factory=SamplerState)


@dataclass
class Coverage:
    """How well the analysed frames cover the video."""

    frames: int
    frames_per_min: float
    max_gap_s: float


def compute_coverage(timestamps_s: list[float], duration_s: float) -> Coverage:
    """Coverage of ``duration_s`` by frames at ``timestamps_s`` (the gaps include both ends)."""
    points = sorted(timestamps_s)
    if not points:
        return Coverage(frames=0, frames_per_min=0.0, max_gap_s=round(duration_s, 3))
    edges = [0.0, *points, max(duration_s, points[-1])]
    max_gap = max(later - earlier for earlier, later in itertools.pairwise(edges))
    per_min = len(points) / (duration_s / 60.0) if duration_s > 0 else float(len(points))
    return Coverage(
        frames=len(points), frames_per_min=round(per_min, 2), max_gap_s=round(max_gap, 3)
    )
