"""Dataclasses of live streams that cross Temporal: references, times and text, never pixels.

Times named ``at`` are wall-clock seconds since the Unix epoch (UTC).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from videolens.video.types import FrameRef

# ``StreamFrameRef``'s names for the ``FrameRef`` fields it names otherwise; the rest are alike.
_STREAM_NAMES = {"index": "seq", "timestamp_s": "at"}


@dataclass
class StreamFrameRef:
    """A frame kept from a live stream, written as a JPEG.

    ``seq`` numbers a stream's frames from 0 without holes; ``reason`` is the sampler's (``shot``,
    ``fade``, ``change``, ``motion``, ``floor``) or ``start`` for the first frame of a connection.
    """

    seq: int
    at: float
    path: str
    reason: str
    motion: float = 0.0
    shot_start: bool = False
    width: int = 0
    height: int = 0

    @classmethod
    def of(cls, ref: FrameRef) -> StreamFrameRef:
        """A file sampler's reference as a stream's: ``index`` is ``seq``, ``timestamp_s`` ``at``.

        What a stream frame has no field for (``damaged``) is left out.
        """
        names = {f.name for f in fields(cls)}
        renamed = {_STREAM_NAMES.get(k, k): v for k, v in asdict(ref).items()}
        return cls(**{k: v for k, v in renamed.items() if k in names})

    def as_frame_ref(self) -> FrameRef:
        """The same frame as the file sampler's reference: ``seq`` as index, ``at`` as time."""
        frame_names = {v: k for k, v in _STREAM_NAMES.items()}
        return FrameRef(**{frame_names.get(k, k): v for k, v in asdict(self).items()})


@dataclass
class StreamGap:
    """A stretch of the stream nobody saw: the source dropped, or the worker reading it died."""

    start_at: float
    end_at: float
    reason: str

    @property
    def seconds(self) -> float:
        return round(self.end_at - self.start_at, 3)


@dataclass
class StreamAudioRef:
    """A WAV file of a stream's audio (16 kHz mono) and the wall-clock span it covers."""

    path: str
    start_at: float
    end_at: float


@dataclass
class PassClipRef:
    """A window's frames for the detection pass (``streams.pass_clip``): grid frames
    ``first_k`` to ``end_k - 1`` (frame ``k`` is at ``k / fps`` Unix seconds), the window's own
    from ``own_from_k`` on (those before it are the overlap with the window before)."""

    path: str
    fps: float
    first_k: int
    own_from_k: int
    end_k: int


@dataclass
class WindowOutcome:
    """What one window read: frames kept, gaps seen, and the source's state at its end; with
    audio, the WAV files heard and whether the source has audio (``ok``, ``none``,
    ``unavailable``; ``""`` before any connection); with tracking, the frames the detection pass
    reads (``pass_clip``). The ingest activity returns it to the
    workflow (as ``IngestResult``)."""

    frames: list[StreamFrameRef] = field(default_factory=list)
    gaps: list[StreamGap] = field(default_factory=list)
    live: bool = True
    source_error: str = ""
    audio: list[StreamAudioRef] = field(default_factory=list)
    audio_status: str = ""
    audio_reason: str = ""
    pass_clip: PassClipRef | None = None


def window_name(first_at: float, first_seq: int) -> str:
    """The file name of a window whose first frame is ``first_seq`` at ``first_at``."""
    return f"{int(first_at * 1000):013d}-{first_seq:010d}"
