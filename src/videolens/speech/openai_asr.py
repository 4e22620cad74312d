"""Speech recognition by an OpenAI-compatible ``/v1/audio/transcriptions`` endpoint (speaches,
vLLM, OpenAI), over httpx.

The audio goes up as a 16-bit 16 kHz mono WAV (32 kB a second, so a 300 s range is ~9.6 MB,
under OpenAI's 25 MB limit); ``response_format=verbose_json`` brings segments with timestamps.
Silero VAD runs here first: audio without speech is never sent, so silence cannot come back as a
hallucinated "Thank you.". No retries: Temporal owns them; failures are the ``EndpointError``
tree of ``videolens.openai_compat``.
"""

from __future__ import annotations

import io
import logging
import wave
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import numpy as np
from numpy.typing import NDArray

from videolens.errors import ConfigurationError
from videolens.openai_compat.errors import EndpointReplyError
from videolens.openai_compat.protocol import (
    Redactor,
    display_url,
    endpoint_url,
    error_for_status,
    error_for_transport,
    reply_json,
    request_headers,
)
from videolens.speech.audio import SAMPLE_RATE
from videolens.speech.transcriber import Transcriber
from videolens.speech.types import SpeechSegment
from videolens.speech.vad import speech_stretches

log = logging.getLogger(__name__)

KEY_HINT = "VIDEOLENS_SPEECH_API_KEY"
CONNECT_TIMEOUT_S = 10.0
# OpenAI reports the language by name; the session stores ISO 639-1 codes.
_LANGUAGE_CODES = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it",
    "portuguese": "pt", "dutch": "nl", "russian": "ru", "chinese": "zh", "japanese": "ja",
    "korean": "ko", "arabic": "ar", "hindi": "hi", "turkish": "tr", "polish": "pl",
    "ukrainian": "uk", "swedish": "sv",
}  # fmt: skip
_NO_SPEECH_PROB = 0.6
_MIN_AVG_LOGPROB = -1.0


class OpenAITranscriber(Transcriber):
    """A client of ``POST {base_url}/audio/transcriptions``; thread-safe, one connection pool."""

    NAME: ClassVar[str] = "openai"

    def __init__(
        self,
        base_url: str,
        model: str = "whisper-1",
        api_key: str | None = None,
        *,
        language: str | None = None,
        timeout_s: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if httpx.URL(base_url).scheme not in ("http", "https"):
            raise ConfigurationError(
                f"VIDEOLENS_SPEECH_BASE_URL {display_url(base_url)!r} must start with http:// "
                "or https://, e.g. http://127.0.0.1:8000/v1"
            )
        self.base_url = base_url
        self.model_id = model
        self.language = language
        self.timeout_s = timeout_s
        self._url = endpoint_url(base_url, "audio/transcriptions")
        self._redact = Redactor(api_key)
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S))
        self._http = httpx.Client(
            headers=request_headers(api_key), timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"OpenAITranscriber({display_url(self.base_url)!r}, model={self.model_id!r})"

    @property
    def model(self) -> str:
        return self.model_id

    def iter_segments(
        self, samples: NDArray[np.float32], offset_s: float
    ) -> Iterator[SpeechSegment]:
        if samples.size == 0 or not _has_speech(samples):
            return
        data = self._post(samples)
        language = _language_code(data.get("language")) or self.language
        segments = data.get("segments")
        if not isinstance(segments, list):
            raise EndpointReplyError(
                f"{display_url(self._url)} replied without segments; the server must support "
                "response_format=verbose_json"
            )
        for item in segments:
            segment = _segment(item, offset_s, language, self._url)
            if segment is not None:
                yield segment

    def close(self) -> None:
        self._http.close()

    def _post(self, samples: NDArray[np.float32]) -> dict[str, Any]:
        fields = {"model": self.model_id, "response_format": "verbose_json", "temperature": "0"}
        if self.language:
            fields["language"] = self.language
        files = {"file": ("audio.wav", wav_bytes(samples), "audio/wav")}
        log.debug("POST %s (%.1f s of audio)", display_url(self._url), samples.size / SAMPLE_RATE)
        try:
            response = self._http.post(self._url, data=fields, files=files)
        except httpx.RequestError as exc:
            raise error_for_transport(exc, url=self._url, timeout_s=self.timeout_s) from exc
        error = error_for_status(
            response, response.text, url=self._url, key_hint=KEY_HINT, redact=self._redact
        )
        if error is not None:
            raise error
        data = reply_json(response.content, url=self._url, redact=self._redact)
        if not isinstance(data, dict):
            raise EndpointReplyError(f"{display_url(self._url)} replied with a non-object")
        return data


def wav_bytes(samples: NDArray[np.float32]) -> bytes:
    """``samples`` (float32, 16 kHz mono) as a 16-bit PCM WAV file."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _has_speech(samples: NDArray[np.float32]) -> bool:
    return bool(speech_stretches(samples))


def _language_code(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    name = value.strip().lower()
    return _LANGUAGE_CODES.get(name, name)


def _segment(item: Any, offset_s: float, language: str | None, url: str) -> SpeechSegment | None:
    try:
        start, end = float(item["start"]), float(item["end"])
        text = str(item["text"]).strip()
    except (TypeError, KeyError, ValueError):
        raise EndpointReplyError(
            f"{display_url(url)} replied with a segment without start, end and text"
        ) from None
    no_speech = float(item.get("no_speech_prob", 0.0) or 0.0)
    unsure = float(item.get("avg_logprob", 0.0) or 0.0) < _MIN_AVG_LOGPROB
    if not text or (no_speech > _NO_SPEECH_PROB and unsure):
        return None
    return SpeechSegment(
        start_s=round(offset_s + start, 3),
        end_s=round(offset_s + max(start, end), 3),
        text=text,
        language=language,
    )
