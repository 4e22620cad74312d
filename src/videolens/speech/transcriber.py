"""The interface every speech recogniser implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from videolens.speech.types import SpeechSegment


class Transcriber(ABC):
    """Turns 16 kHz mono float32 samples into timed speech segments.

    An instance owns its model or connection: build it once per worker and reuse it; heavy
    models load lazily on first use, never at import time. Implementations do no retries:
    Temporal (or the caller) decides when to try again.
    """

    NAME: ClassVar[str]
    """Short name of the implementation, e.g. ``"whisper"`` or ``"openai"``."""

    @property
    @abstractmethod
    def model(self) -> str:
        """What is recognising speech, as stored in the session (e.g. ``"whisper-tiny.en"``)."""

    @abstractmethod
    def iter_segments(
        self, samples: NDArray[np.float32], offset_s: float
    ) -> Iterator[SpeechSegment]:
        """Segments of ``samples`` as they are recognised, in time order.

        ``offset_s`` is where ``samples[0]`` sits on the video's timeline; segment times are
        absolute (offset added). Stretches without speech (silence, noise, music) yield nothing.
        """

    def transcribe(
        self, samples: NDArray[np.float32], offset_s: float = 0.0
    ) -> list[SpeechSegment]:
        """All segments of ``samples`` (see ``iter_segments``)."""
        return list(self.iter_segments(samples, offset_s))

    def close(self) -> None:  # noqa: B027 - optional hook, most transcribers hold nothing
        """Release what the instance holds (connections); it must not be used afterwards."""
