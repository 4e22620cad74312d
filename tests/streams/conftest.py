"""Fixtures of the stream tests: the word clip, the store of the streams of ``stream_settings``
(which is in tests/conftest.py)."""

from __future__ import annotations

import shutil

import pytest
from stream_helpers import store_of
from stream_media import word_clip

from videolens.config import Settings
from videolens.streams.store import StreamStore
from videolens.video.synthetic import ClipSpec

if shutil.which("ffmpeg") is None:  # pragma: no cover - .ci/run installs it
    pytest.skip("the stream tests need ffmpeg (apt-get install ffmpeg)", allow_module_level=True)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    return word_clip(tmp_path_factory.mktemp("stream-clip"))


@pytest.fixture
def store(stream_settings: Settings) -> StreamStore:
    """Where the streams of ``stream_settings``, and of settings copied from it, are stored."""
    return store_of(stream_settings)
