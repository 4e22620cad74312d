"""What one stretch of the detection pass stores: its tracked frames, and how it ran."""

from __future__ import annotations

from pydantic import Field

from videolens.timeline.model import Detection, Record, Track, Tracking


class TrackedFrame(Record):
    """One frame of the detection pass: its time, and what was found, each with its track id
    (None: not associated with a track)."""

    t: float
    detections: list[Detection] = Field(default_factory=list)


class TrackedChunk(Record):
    """The pass over ``[read_from_s, end_s)``; ``start_s`` is where this chunk's own time
    begins (``read_from_s`` is earlier by the overlap shared with the chunk before it).
    Track ids are this chunk's own until the chunks are stitched."""

    index: int
    start_s: float
    end_s: float
    read_from_s: float
    fps: float
    frames: list[TrackedFrame] = Field(default_factory=list)
    tiled_frames: int = Field(default=0, description="Frames the detector saw tiled.")
    seconds: float = Field(default=0.0, description="Wall time of this chunk's pass.")


class TrackingResult(Record):
    """The whole pass, stitched: how it ran, the tracks, and every frame with global ids."""

    tracking: Tracking
    tracks: list[Track] = Field(default_factory=list)
    frames: list[TrackedFrame] = Field(default_factory=list)
