"""Fixtures of the stream tests: the word clip and settings for quick streams."""

from __future__ import annotations

import shutil

import pytest
from stream_media import word_clip

from videolens.config import Settings
from videolens.video.synthetic import ClipSpec

if shutil.which("ffmpeg") is None:  # pragma: no cover - .ci/run installs it
    pytest.skip("the stream tests need ffmpeg (apt-get install ffmpeg)", allow_module_level=True)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    return word_clip(tmp_path_factory.mktemp("stream-clip"))


@pytest.fixture
def stream_settings(settings: Settings) -> Settings:
    """Short windows and timeouts, the offline backend, no speech: quick and deterministic."""
    return settings.model_copy(
        update={
            "backend": "basic",
            "speech": "off",
            "stream_window_s": 2.0,
            "stream_connect_timeout_s": 4.0,
            "stream_read_timeout_s": 2.0,
            "stream_reconnect_max_s": 1.0,
        }
    )
