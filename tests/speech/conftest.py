"""Fixtures of the speech tests: generated clips with espeak-ng speech at known offsets, and one
Whisper tiny.en transcriber for the whole run (loading it costs ~0.5 s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from asr_fake import asr, asr_server  # noqa: F401

from speech_clips import SpeechClip, make_clip, noise, tones, write_video
from videolens.speech import WhisperTranscriber

FIRST = "the quick brown fox jumps over the lazy dog"
SECOND = "please bring the red box to the kitchen table"


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def two_sentences(speech_dir: Path) -> SpeechClip:
    """14 s: FIRST placed at 2.0 s and SECOND at 9.0 s, AAC 48 kHz stereo."""
    return make_clip(speech_dir / "two.mp4", 14.0, [(2.0, FIRST), (9.0, SECOND)])


@pytest.fixture(scope="session")
def noise_clip(speech_dir: Path) -> Path:
    return write_video(speech_dir / "noise.mp4", noise(10.0), 10.0)


@pytest.fixture(scope="session")
def tones_clip(speech_dir: Path) -> Path:
    return write_video(speech_dir / "tones.mp4", tones(10.0), 10.0)


@pytest.fixture(scope="session")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhisperTranscriber]:
    transcriber = WhisperTranscriber("tiny.en", data_dir=tmp_path_factory.mktemp("data"))
    yield transcriber
    transcriber.close()
