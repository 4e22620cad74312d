"""Dataclasses exchanged by the workflow and its activities: one in, one out for each.

Only references (paths), numbers and text cross Temporal; frames stay on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from videolens.video.types import FrameRef, SamplingOptions, Segment, VideoInfo

WORKFLOW_NAME = "VideoAnalysisWorkflow"

# ApplicationError types of failures that no retry can mend.
INVALID_VIDEO = "InvalidVideo"
BAD_CONFIGURATION = "BadConfiguration"
BACKEND_UNAVAILABLE = "BackendUnavailable"
# The session is not in the worker's store: the worker serves another deployment's data dir.
FOREIGN_SESSION = "ForeignSession"
# The audio cannot be decoded or the transcriber cannot run here: speech is "unavailable".
SPEECH_UNAVAILABLE = "SpeechUnavailable"
# The disk holding the session is full: retries would fail the same way until space is freed.
OUT_OF_SPACE = "OutOfSpace"
NON_RETRYABLE_ERRORS = [
    INVALID_VIDEO,
    BAD_CONFIGURATION,
    BACKEND_UNAVAILABLE,
    FOREIGN_SESSION,
    SPEECH_UNAVAILABLE,
    OUT_OF_SPACE,
]


@dataclass
class AnalyzeVideoInput:
    """Everything a run needs; task queues travel with it so any worker can route the stages."""

    session_id: str
    video_path: str
    frames_dir: str
    options: SamplingOptions = field(default_factory=SamplingOptions)
    backend: str = "basic"
    batch_size: int = 8
    segment_s: float = 60.0
    # The session's own per-frame prompt; empty: the workers' configured prompt.
    prompt: str = ""
    cpu_task_queue: str = "videolens-cpu"
    vision_task_queue: str = "videolens-vision"
    heartbeat_timeout_s: float = 10.0
    # Bounds on activities in flight, so queue waits stay inside the schedule-to-close timeout.
    max_parallel_segments: int = 4
    max_parallel_batches: int = 8
    # Hybrid burst: with a cloud queue set, batches beyond twice the local vision capacity in
    # flight go to the cloud queue, described there by ``cloud_backend``.
    cloud_task_queue: str = ""
    cloud_backend: str = "openai"
    local_vision_capacity: int = 1
    # Speech recognition beside sampling; the audio is transcribed in ranges of this length.
    speech: bool = True
    speech_range_s: float = 300.0
    # The detection pass beside sampling: objects detected and tracked at this steady rate.
    tracking: bool = True
    tracking_fps: float = 2.0


@dataclass
class AnalysisSummary:
    """What the workflow returns; the full result lives in the session store."""

    session_id: str
    status: str
    frames: int
    max_gap_s: float
    error: str = ""


@dataclass
class DescribeResult:
    """What a describe activity did, a video's batch or a live stream's window."""

    described: int
    models: list[str] = field(default_factory=list)
    # The backend's figures after the frames: frames/s, GPU memory and utilisation (NVML).
    worker_stats: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class Progress:
    """What every ``progress`` query answer carries, a video's or a live stream's.

    Keyword-only, so that a subclass may add a field without a default; a payload's JSON is by
    field name, so the fields' order here is free.
    """

    frames_described: int = 0


@dataclass(kw_only=True)
class AnalysisProgress(Progress):
    """Answer of ``AnalyzeVideoWorkflow.progress``: the stage, and each stage's counts."""

    stage: str
    segments_total: int = 0
    segments_done: int = 0
    frames_planned: int = 0
    frames_sampled: int = 0
    batches_total: int = 0
    batches_done: int = 0
    batches_cloud: int = 0
    bursting: bool = False
    worker_stats: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    eta_s: float | None = None
    video_duration_s: float = 0.0
    error: str = ""
    # Speech: "pending", "transcribing", then the final status (ok, none, off, unavailable).
    speech_status: str = "pending"
    speech_ranges_total: int = 0
    speech_ranges_done: int = 0


@dataclass
class ProbeInput:
    session_id: str
    video_path: str


@dataclass
class SampleSegmentInput:
    session_id: str
    video_path: str
    frames_dir: str
    segment: Segment
    options: SamplingOptions


@dataclass
class DescribeBatchInput:
    session_id: str
    batch_id: str
    backend: str
    frames: list[FrameRef]
    prompt: str = ""
    # The detection pass's chunk over these frames' segment (a path in the session folder);
    # empty: no pass ran there, and the backend detects for itself.
    tracks_chunk: str = ""


@dataclass
class TrackSegmentInput:
    """The detection pass over one segment, read from ``overlap_s`` before its start."""

    session_id: str
    video_path: str
    segment: Segment
    fps: float
    overlap_s: float


@dataclass
class TrackSegmentResult:
    chunk: str
    """Where the chunk's tracked frames are stored (a file in the session folder)."""
    frames: int
    tiled_frames: int
    seconds: float


@dataclass
class StitchTracksInput:
    session_id: str
    chunks: list[str]


@dataclass
class StitchTracksResult:
    tracks: int
    people: int
    seconds: float


@dataclass
class AudioCheck:
    """The audio track: "ok", "none" (no track) or "unavailable" (cannot be decoded)."""

    status: str
    reason: str = ""
    duration_s: float = 0.0


@dataclass
class TranscribeRangeInput:
    session_id: str
    video_path: str
    range_id: str
    start_s: float
    end_s: float
    audio_duration_s: float


@dataclass
class TranscribeRangeResult:
    segments: int
    model: str = ""
    language: str = ""


@dataclass
class SpeechOutcome:
    """How speech recognition ended; the segments themselves are in the store."""

    status: str
    reason: str = ""
    model: str = ""
    language: str = ""


@dataclass
class SummarizeInput:
    session_id: str
    video: VideoInfo
    shot_starts_s: list[float] = field(default_factory=list)
    # False: chapters from shots and an extractive summary, no chat model involved.
    use_llm: bool = True
    speech: SpeechOutcome | None = None


@dataclass
class SessionSummary:
    summary: str
    chapters: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "shots"


@dataclass
class FinalizeInput:
    session_id: str
    status: str
    error: str = ""
    video: VideoInfo | None = None
    timings: dict[str, float] = field(default_factory=dict)
    shot_starts_s: list[float] = field(default_factory=list)
    routing: dict[str, Any] = field(default_factory=dict)
    summary: SessionSummary | None = None
    # Every frame the sampler planned (index and time): a run completes only if all are stored.
    # The largest gap the sampling aimed for (the floor, or the interval): coverage reports it.
    floor_s: float = 0.0
    expected_indexes: list[int] = field(default_factory=list)
    expected_timestamps_s: list[float] = field(default_factory=list)
    speech: SpeechOutcome | None = None


@dataclass
class FinalizeResult:
    frames: int
    max_gap_s: float
    coverage: dict[str, Any] = field(default_factory=dict)
    # The status written: "completed" can become "failed" when planned frames are missing.
    status: str = ""
    error: str = ""
