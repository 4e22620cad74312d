"""Fixtures for the fault tests: a data dir of their own and a clip to break runs on."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_helpers import DataDir

from videolens.video.synthetic import ClipSpec, Shot, write_clip


@pytest.fixture
def data(tmp_path: Path) -> Iterator[DataDir]:
    """A fresh data dir; any embedded server still recorded at the end is stopped."""
    deployment = DataDir(tmp_path / "data")
    yield deployment
    pid = deployment.server_pid()
    if pid is not None:
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def fault_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    """16 s, two shots: long enough to break things in the middle of its analysis."""
    return write_clip(
        tmp_path_factory.mktemp("faults") / "fault.mp4",
        [Shot(8.0, (200, 40, 40), "ALPHA"), Shot(8.0, (30, 120, 200), "BRAVO")],
    )
