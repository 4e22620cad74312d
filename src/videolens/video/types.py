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
    # The size as displayed: the sample aspect ratio applied to the width, and width/height
    # swapped for a video turned by 90 or 270 degrees (what a player shows, and what the stored
    # frames measure before resizing). ``coded_width``/``coded_height`` are the size as stored.
    width: int
    height: int
    codec: str
    # Degrees counter-clockwise to turn frames upright (FFmpeg's display-matrix convention, as
    # ffprobe prints it): 0, 90, 180 or 270.
    rotation: int = 0
    has_audio: bool = False
    container: str = ""
    size_bytes: int = 0
    coded_width: int = 0
    coded_height: int = 0
    # Width of one stored pixel relative to its height (16/11 for PAL 4:3 stored as 704x576).
    sample_aspect_ratio: float = 1.0
    # Where the file's header was found wrong, and what the plan used instead; "" when it held.
    header_note: str = ""


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
    """A sampled frame written to disk as a JPEG, upright and at its displayed aspect ratio.

    ``reason`` says why it was kept: ``"shot"`` (first frame of a new shot after a cut),
    ``"fade"`` (first steady frame after a fade or dissolve; also a shot start), ``"change"`` (a
    local change: words or objects appeared, changed or left), ``"motion"`` (a motion spike),
    ``"floor"`` (the adaptive floor rate) or ``"interval"``. ``motion`` is the mean absolute
    difference to the previous decoded frame on a 0-255 scale. ``damaged`` marks a frame with
    decoding damage (a one-frame glitch the pictures on both sides of it do not share); it is
    never a shot start.
    """

    index: int
    timestamp_s: float
    path: str
    reason: str = "interval"
    motion: float = 0.0
    shot_start: bool = False
    width: int = 0
    height: int = 0
    damaged: bool = False


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
class TransitionTrack:
    """The fade/dissolve detector's times and running sums (see ``videolens.video.events``):
    what its live state and its checkpoint share."""

    anchor_old_s: float = 0.0
    anchor_new_s: float = 0.0
    path_old: float = 0.0
    path_new: float = 0.0
    path: float = 0.0
    pending_s: float | None = None
    peak: float = 0.0


@dataclass
class TransitionCheckpoint(TransitionTrack):
    """The fade/dissolve detector's state at a checkpoint; the anchor thumbnails in base64."""

    anchor_old_thumb: str = ""
    anchor_new_thumb: str = ""


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
    transition: TransitionCheckpoint = field(default_factory=TransitionCheckpoint)


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
    """How well the analysed frames cover the video.

    ``floor_s`` is the floor interval the sampler worked to (``segments.floor_for_budget``: the
    configured floor, raised to duration / max_frames where the frame budget cannot afford it);
    0.0 when not known. ``max_gap_s`` is measured, including the video's start and end.
    """

    frames: int
    frames_per_min: float
    max_gap_s: float
    floor_s: float = 0.0


def compute_coverage(
    timestamps_s: list[float], duration_s: float, floor_s: float = 0.0
) -> Coverage:
    """Coverage of ``duration_s`` by frames at ``timestamps_s`` (the gaps include both ends)."""
    points = sorted(timestamps_s)
    floor = round(floor_s, 3)
    if not points:
        return Coverage(frames=0, frames_per_min=0.0, max_gap_s=round(duration_s, 3), floor_s=floor)
    edges = [0.0, *points, max(duration_s, points[-1])]
    max_gap = max(later - earlier for earlier, later in itertools.pairwise(edges))
    per_min = len(points) / (duration_s / 60.0) if duration_s > 0 else float(len(points))
    return Coverage(
        frames=len(points),
        frames_per_min=round(per_min, 2),
        max_gap_s=round(max_gap, 3),
        floor_s=floor,
    )
