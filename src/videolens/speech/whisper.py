"""Local speech recognition with faster-whisper (Whisper on CTranslate2).

On CPU the model runs int8-quantised; Silero VAD (shipped inside faster-whisper) skips the
stretches without speech first, which is what keeps noise and music from being "transcribed".
Models come from packages (see ``videolens.speech.models``), never from a download.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from videolens.speech.audio import SAMPLE_RATE
from videolens.speech.models import TINY_EN, is_english_only, whisper_model_dir
from videolens.speech.transcriber import Transcriber
from videolens.speech.types import SpeechSegment, TranscriberUnavailableError
from videolens.speech.vad import speech_stretches

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

# Whisper's own "was that speech" test, applied once more to what comes out: a segment the model
# itself thinks is probably not speech and that it is unsure of is dropped (faster-whisper only
# skips whole 30 s windows on this test).
_NO_SPEECH_PROB = 0.6
_MIN_AVG_LOGPROB = -1.0
# VAD joins speech stretches into one input, and Whisper then often returns one segment across
# a long pause; word timestamps let us split it there so each segment starts where speech does.
_PAUSE_S = 1.0
# Pad VAD's speech stretches less than faster-whisper's 400 ms, so starts land nearer the speech.
_VAD_OPTIONS = {"speech_pad_ms": 200, "min_silence_duration_ms": 1000}
# Whisper's first-word timestamps drift by a few hundred ms; where VAD saw speech begin within
# this window around a segment's start, the segment starts there instead.
_SNAP_BEFORE_S, _SNAP_AFTER_S = 1.0, 0.3


class WhisperTranscriber(Transcriber):
    """Whisper through faster-whisper, in this process.

    ``model_name`` is ``"tiny.en"``, ``"base"`` or a CTranslate2 model folder; ``language`` an
    ISO 639-1 code, or None to detect it per call (English-only models are always ``"en"``);
    ``cpu_threads`` bounds the threads one transcription uses; ``beam_size`` 5 is Whisper's
    default (measured on 2 busy cores, tiny.en: real-time factor ~0.035-0.05 against ~0.03 for
    greedy decoding, with fewer word errors).
    """

    NAME: ClassVar[str] = "whisper"

    def __init__(
        self,
        model_name: str = TINY_EN,
        *,
        data_dir: Path,
        language: str | None = None,
        cpu_threads: int = 2,
        beam_size: int = 5,
        device: str = "cpu",
    ) -> None:
        if cpu_threads < 1 or beam_size < 1:
            raise ValueError("cpu_threads and beam_size must be at least 1")
        self.model_name = model_name
        self.data_dir = data_dir
        self.language = "en" if is_english_only(model_name) else language
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.device = device
        self._model: WhisperModel | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        name = Path(self.model_name).name if "/" in self.model_name else self.model_name
        return f"whisper-{name}"

    def load(self) -> WhisperModel:
        """The model, loaded on first use (thread-safe; later calls return the same one)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def close(self) -> None:
        """Drop the model (its memory is freed once no transcription still uses it)."""
        with self._lock:
            self._model = None

    def _load(self) -> WhisperModel:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise TranscriberUnavailableError(
                "local speech recognition needs faster-whisper; pip install faster-whisper"
            ) from None
        folder = whisper_model_dir(self.model_name, self.data_dir)
        compute_type = "int8" if self.device == "cpu" else "default"
        log.info("loading Whisper %s from %s (%s)", self.model_name, folder, compute_type)
        try:
            return WhisperModel(
                str(folder),
                device=self.device,
                compute_type=compute_type,
                cpu_threads=self.cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise TranscriberUnavailableError(
                f"the Whisper model in {folder} could not be loaded ({exc}); reinstall its package"
            ) from exc

    def iter_segments(
        self, samples: NDArray[np.float32], offset_s: float
    ) -> Iterator[SpeechSegment]:
        if samples.size == 0:
            return
        model = self.load()
        segments, info = model.transcribe(
            np.ascontiguousarray(samples, dtype=np.float32),
            language=self.language,
            beam_size=self.beam_size,
            vad_filter=True,
            vad_parameters=_VAD_OPTIONS,
            word_timestamps=True,
            # Each segment stands on its own: conditioning on earlier text is what makes
            # Whisper loop on a phrase or carry a hallucination forward.
            condition_on_previous_text=False,
            # No sampling fallback: on repetitive speech (a high compression ratio) Whisper's
            # fallback samples at higher temperatures, and the same audio came out with 12 or
            # 20 segments from one run to the next. Greedy/beam at 0 is deterministic.
            temperature=0.0,
        )
        language = self.language or str(info.language)
        onsets = _speech_onsets(samples)
        floor = 0.0
        for segment in segments:
            if not _looks_like_speech(segment):
                continue
            for start, end, text in _split_at_pauses(segment):
                start = _snap(start, end, onsets, floor)
                floor = end
                yield SpeechSegment(
                    start_s=round(offset_s + start, 3),
                    end_s=round(offset_s + end, 3),
                    text=text,
                    language=language,
                )


def _speech_onsets(samples: NDArray[np.float32]) -> list[float]:
    """Seconds (from the start of ``samples``) where Silero VAD hears speech begin."""
    return [start / SAMPLE_RATE for start, _ in speech_stretches(samples)]


def _snap(start: float, end: float, onsets: list[float], floor: float) -> float:
    """``start`` moved to the nearest VAD onset inside the snap window, if there is one."""
    near = [o for o in onsets if start - _SNAP_BEFORE_S <= o <= start + _SNAP_AFTER_S]
    near = [o for o in near if floor <= o < end]
    return min(near, key=lambda o: abs(o - start)) if near else start


def _split_at_pauses(segment: Any) -> Iterator[tuple[float, float, str]]:
    """(start, end, text) of the parts of a faster-whisper segment between long pauses."""
    words = list(segment.words or [])
    if not words:
        yield float(segment.start), float(segment.end), str(segment.text).strip()
        return
    group = [words[0]]
    for word in words[1:]:
        if float(word.start) - float(group[-1].end) > _PAUSE_S:
            yield _joined(group)
            group = []
        group.append(word)
    yield _joined(group)


def _joined(words: list[Any]) -> tuple[float, float, str]:
    text = "".join(str(word.word) for word in words).strip()
    return float(words[0].start), float(words[-1].end), text


def _looks_like_speech(segment: Any) -> bool:
    if not str(segment.text).strip():
        return False
    unsure = float(segment.avg_logprob) < _MIN_AVG_LOGPROB
    return not (float(segment.no_speech_prob) > _NO_SPEECH_PROB and unsure)
