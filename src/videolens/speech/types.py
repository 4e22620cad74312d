"""The values and errors of the speech library, shared by every module in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from videolens.errors import VideoLensError

AudioStatus = Literal["ok", "none", "unavailable"]


@dataclass(frozen=True)
class AudioTrack:
    """What a video's audio offers speech recognition.

    ``status`` is ``"ok"`` (a decodable track), ``"none"`` (the file has no audio stream) or
    ``"unavailable"`` (a track exists but cannot be decoded; ``reason`` says why in one sentence).
    ``duration_s`` is where the track ends on the video's timeline (0.0 when there is none):
    what ``plan_speech_ranges`` should cover.
    """

    status: AudioStatus
    reason: str = ""
    duration_s: float = 0.0
    codec: str = ""


@dataclass(frozen=True)
class SpeechSegment:
    """One stretch of recognised speech; times are seconds on the video's timeline.

    ``language`` is the language the transcriber detected (or was told) for the stretch it came
    from, when it reports one; it is not part of the stored segment (see ``as_dict``).
    """

    start_s: float
    end_s: float
    text: str
    language: str | None = None

    def as_dict(self) -> dict[str, float | str]:
        """The stored form: ``{"start_s", "end_s", "text"}`` (the session's ``speech.segments``)."""
        return {"start_s": self.start_s, "end_s": self.end_s, "text": self.text}


@dataclass(frozen=True)
class SpeechRange:
    """A planned stretch of audio for one unit of work, ``[start_s, end_s)`` on the timeline."""

    start_s: float
    end_s: float


def dominant_language(segments: Iterable[SpeechSegment]) -> str | None:
    """The language most of the speech (by duration) was recognised in, or None if unknown."""
    weights: dict[str, float] = {}
    for segment in segments:
        if segment.language:
            duration = max(segment.end_s - segment.start_s, 0.001)
            weights[segment.language] = weights.get(segment.language, 0.0) + duration
    return max(weights, key=lambda language: weights[language]) if weights else None


class SpeechError(VideoLensError):
    """Base of the errors speech recognition raises on purpose."""


class AudioUnavailableError(SpeechError):
    """The video's audio cannot be decoded (no decoder for its codec, corrupt packets, no track).

    Retrying cannot help; the message says what is wrong in one sentence.
    """


class TranscriberUnavailableError(SpeechError):
    """The configured transcriber cannot run here (model package missing, bad model folder, no
    endpoint); the message says what to install or set."""
