"""Dataclasses of ``StreamWorkflow`` and its activities: one in, one out for each.

Only the stream id, frame references, times and text cross Temporal. The source URL (which may
carry credentials) and the webhook secret stay in the stream's private file in the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from videolens.pipeline.shared import Progress
from videolens.streams.retention import Pruned
from videolens.streams.types import (
    PassClipRef,
    StreamAudioRef,
    StreamFrameRef,
    StreamGap,
    WindowOutcome,
)
from videolens.video.types import SamplingOptions

STREAM_WORKFLOW_NAME = "StreamWorkflow"
# ApplicationError types no retry can mend: the source refuses us or never answered; the
# stream was deleted from the store; the receiver of a webhook refused the event.
SOURCE_FAILED = "SourceFailed"
STREAM_GONE = "StreamGone"
WEBHOOK_REJECTED = "WebhookRejected"
STREAM_NON_RETRYABLE = [SOURCE_FAILED, STREAM_GONE, WEBHOOK_REJECTED]
# A stream's status while its workflow runs; then "stopped" or "failed".
RUNNING_STATES = ("starting", "connecting", "live", "reconnecting")


@dataclass
class StreamConfig:
    """How one stream is watched; fixed for its life, carried across continue-as-new."""

    stream_id: str
    options: SamplingOptions = field(default_factory=SamplingOptions)
    window_s: float = 4.0
    backend: str = "basic"
    prompt: str = ""
    rules: list[str] = field(default_factory=list)
    rearm_s: float = 10.0
    retention_s: float = 86400.0
    record: bool = False
    record_segment_s: float = 60.0
    webhook: bool = False
    webhook_attempts: int = 5
    cpu_task_queue: str = "videolens-cpu"
    vision_task_queue: str = "videolens-vision"
    heartbeat_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    reconnect_max_s: float = 10.0
    # Windows per workflow run before continue-as-new keeps the history bounded.
    windows_per_run: int = 100
    # The detection pass's rate over each window (0: no tracks).
    tracking_fps: float = 0.0


@dataclass
class StreamSpeech:
    """Speech recognition of a stream so far: the stream document's ``speech``.

    ``status``: ``pending`` (no source seen yet), ``ok`` (the source has audio; it is being
    transcribed), ``none`` (the source sends no audio), ``off`` (speech is off in the reading
    worker's settings) or ``unavailable`` (the audio cannot be decoded, or the transcriber
    cannot run; ``reason`` says why). ``error``: the last failed transcription, when the next
    ones go on; ``skipped_s``: audio dropped because transcription fell behind.
    """

    status: str = "pending"
    reason: str = ""
    model: str = ""
    segments: int = 0
    error: str = ""
    skipped_s: float = 0.0


@dataclass
class StreamState:
    """Everything a run hands to the next one (continue-as-new), and the totals so far."""

    config: StreamConfig
    next_seq: int = 0
    last_at: float | None = None
    # The worker-specific queue of the worker that holds the stream's open connection.
    reader_queue: str = ""
    rule_last_match: dict[str, float] = field(default_factory=dict)
    windows: int = 0
    frames_described: int = 0
    events: int = 0
    gaps: int = 0
    runs: int = 0
    speech: StreamSpeech = field(default_factory=StreamSpeech)
    # Audio written by ingest, not yet transcribed; and the held tail of the last batch
    # (``speech_carry`` files, from ``speech_carry_from`` on), transcribed again with the next.
    speech_pending: list[StreamAudioRef] = field(default_factory=list)
    speech_carry: list[StreamAudioRef] = field(default_factory=list)
    speech_carry_from: float | None = None
    speech_batches: int = 0
    # The rearm memory of word rules on speech, apart from the frames' (``rule_last_match``).
    speech_last_match: dict[str, float] = field(default_factory=dict)
    audio_end_at: float | None = None


@dataclass(kw_only=True)
class StreamProgress(Progress):
    """Answer of ``StreamWorkflow.progress``.

    ``state``: one of ``RUNNING_STATES`` or ``stopping``; ``frames_ingested`` counts what the
    reader took, ``frames_described`` what the vision backend answered.
    """

    state: str
    windows: int = 0
    frames_ingested: int = 0
    events: int = 0
    gaps: int = 0
    last_frame_at: float | None = None
    source_error: str = ""
    stopping: bool = False
    runs: int = 0
    windows_behind: int = 0
    speech: str = ""
    speech_segments: int = 0


@dataclass
class StreamSummary:
    stream_id: str
    status: str
    frames: int
    events: int
    gaps: int


@dataclass
class IngestInput:
    stream_id: str
    options: SamplingOptions
    window_s: float
    next_seq: int
    last_at: float | None = None
    record: bool = False
    record_segment_s: float = 60.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    reconnect_max_s: float = 10.0
    # The last heartbeat of an attempt that died on another worker (an ``IngestCheckpoint``).
    resume: dict[str, Any] | None = None
    # Decode the audio too (unless the worker's settings turn speech off).
    speech: bool = True
    # Keep the frames of a detection pass at this rate (0: none).
    tracking_fps: float = 0.0


@dataclass
class IngestCheckpoint:
    """Heartbeat details of an ingest: what is already on disk, so a retry neither loses nor
    repeats it."""

    frames: list[StreamFrameRef] = field(default_factory=list)
    gaps: list[StreamGap] = field(default_factory=list)


@dataclass
class IngestResult(WindowOutcome):
    """What the window read (``audio_status`` is ``off`` when the worker does not decode
    audio), and where to send the next window: this worker keeps the connection open for it."""

    reader_queue: str = ""


@dataclass
class DescribeStreamInput:
    stream_id: str
    window: str
    backend: str
    frames: list[StreamFrameRef]
    prompt: str = ""


@dataclass
class TrackStreamInput:
    """Run the detection pass over a window's clip and stitch it onto the stream's tracks."""

    stream_id: str
    window: str
    clip: PassClipRef


@dataclass
class CommitWindowInput:
    """Record one window: events from its frames, the stream's status, counters and gaps."""

    stream_id: str
    window: str
    rules: list[str]
    rule_last_match: dict[str, float]
    rearm_s: float
    gaps: list[StreamGap]
    live: bool
    source_error: str
    frames_total: int
    events_before: int
    retention_s: float
    described: bool = False
    speech: StreamSpeech | None = None
    # The window's detection pass ran: its moments are counted from the stream's tracks.
    tracked: bool = False


@dataclass
class CommitWindowResult:
    event_ids: list[str] = field(default_factory=list)
    rule_last_match: dict[str, float] = field(default_factory=dict)


@dataclass
class PruneInput:
    stream_id: str
    retention_s: float
    # WAV files starting before this are transcribed (or given up): they go. None: keep all.
    audio_before_at: float | None = None


@dataclass
class PruneResult(Pruned):
    """What retention removed (``Pruned``'s counts), and the WAV files it removed (``speech``)."""

    speech: int = 0


@dataclass
class WebhookInput:
    stream_id: str
    window: str
    event_id: str
    attempts: int


@dataclass
class FinishStreamInput:
    stream_id: str
    status: str
    error: str = ""
    # The final speech state and event count (speech may end after the last commit).
    speech: StreamSpeech | None = None
    events_total: int | None = None


@dataclass
class TranscribeStreamInput:
    """Transcribe ``audio`` from ``from_at`` on (batch number ``batch``); judge word rules on
    what is said. Not ``final``: a tail that may still be speech is held back (carried)."""

    stream_id: str
    batch: int
    audio: list[StreamAudioRef]
    from_at: float | None = None
    final: bool = False
    rules: list[str] = field(default_factory=list)
    rule_last_match: dict[str, float] = field(default_factory=dict)
    rearm_s: float = 10.0


@dataclass
class TranscribeStreamResult:
    """``name``: the speech file written ("" when nothing was committed)."""

    name: str = ""
    segments: int = 0
    event_ids: list[str] = field(default_factory=list)
    carry: list[StreamAudioRef] = field(default_factory=list)
    carry_from: float | None = None
    rule_last_match: dict[str, float] = field(default_factory=dict)
    model: str = ""


@dataclass
class CloseReaderInput:
    stream_id: str
