"""Objects followed across frames: detection on full pixels (tiled where things are small),
ByteTrack, and tracks with their times, edges, direction and colour.

A plain library (``video``, ``timeline``, numpy and OpenCV): the pipeline runs it chunk by chunk
and stitches the chunks into whole tracks.
"""

from videolens.tracking.chunk import TrackedChunk, TrackedFrame, TrackingResult
from videolens.tracking.detect import FrameDetector
from videolens.tracking.detection_pass import ChunkRequest, pass_rate, run_chunk
from videolens.tracking.lookup import frame_near
from videolens.tracking.ssd import (
    MODEL_NAME,
    DetectorUnavailableError,
    SsdNetwork,
    detector_missing_reason,
)
from videolens.tracking.stitch import stitch
from videolens.tracking.tracker import TRACKER_NAME

__all__ = [
    "MODEL_NAME",
    "TRACKER_NAME",
    "ChunkRequest",
    "DetectorUnavailableError",
    "FrameDetector",
    "SsdNetwork",
    "TrackedChunk",
    "TrackedFrame",
    "TrackingResult",
    "detector_missing_reason",
    "frame_near",
    "pass_rate",
    "run_chunk",
    "stitch",
]
