"""Fixtures of the web UI tests: one headless Chromium per module, the page's errors, and a live
server shared by a module's tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from chromium_browser import launched_chromium
from live_server import LiveServer, serving
from videolens.config import Settings


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught exceptions in the page; the tests that take it expect none."""
    return []


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory, temporal_address: str) -> Settings:
    """Settings of a server that a module's tests share (fresh data dir and task queues)."""
    suffix = uuid.uuid4().hex[:8]
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("web-data"),
        temporal_address=temporal_address,
        cpu_task_queue=f"cpu-{suffix}",
        vision_task_queue=f"vision-{suffix}",
        heartbeat_timeout_s=3.0,
        backend="basic",
        speech="off",
    )


@pytest.fixture(scope="module")
def shared_server(module_settings: Settings) -> Iterator[LiveServer]:
    """The real app with its workers, for every test of a module."""
    with serving(module_settings) as live:
        yield live
