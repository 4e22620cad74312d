"""Which transcriber the settings ask for, and whether it can run here."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from videolens.config import Settings
from videolens.speech.models import whisper_model_problem
from videolens.speech.openai_asr import OpenAITranscriber
from videolens.speech.transcriber import Transcriber
from videolens.speech.types import TranscriberUnavailableError
from videolens.speech.whisper import WhisperTranscriber


@dataclass(frozen=True)
class TranscriberStatus:
    """What ``videolens models`` shows for speech: the transcriber the settings pick, its model,
    and, when it cannot run (or speech is off), why."""

    name: str
    model: str
    available: bool
    reason: str = ""


def transcriber_from_settings(settings: Settings) -> Transcriber:
    """The transcriber the settings pick: the endpoint when ``speech_base_url`` is set, else
    local Whisper. Builds it without loading a model; raises ``TranscriberUnavailableError``
    when speech is off."""
    if settings.speech == "off":
        raise TranscriberUnavailableError("speech recognition is off (VIDEOLENS_SPEECH=off)")
    if settings.speech_base_url:
        key = settings.speech_api_key
        return OpenAITranscriber(
            settings.speech_base_url,
            settings.speech_api_model,
            key.get_secret_value() if key else None,
            language=settings.speech_language,
            timeout_s=settings.speech_timeout_s,
        )
    return WhisperTranscriber(
        settings.speech_model,
        data_dir=settings.data_dir,
        language=settings.speech_language,
        cpu_threads=settings.speech_threads,
    )


def transcriber_status(settings: Settings) -> TranscriberStatus:
    """Whether speech can be transcribed with these settings, without loading or calling
    anything (an endpoint is reported as available; it is only reached when used)."""
    if settings.speech == "off":
        return TranscriberStatus(
            "off", "", False, "speech recognition is off (VIDEOLENS_SPEECH=off)"
        )
    if settings.speech_base_url:
        return TranscriberStatus(OpenAITranscriber.NAME, settings.speech_api_model, True)
    problem = whisper_model_problem(settings.speech_model, settings.data_dir)
    if importlib.util.find_spec("faster_whisper") is None:
        problem = "local speech recognition needs faster-whisper; pip install faster-whisper"
    return TranscriberStatus(
        WhisperTranscriber.NAME, f"whisper-{settings.speech_model}", not problem, problem
    )
