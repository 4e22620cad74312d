"""Helpers for the fault tests: real ``videolens`` processes on a data dir of their own."""

from __future__ import annotations

import json
import math
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from polling import poll
from process_helpers import VIDEOLENS, ready, spawn, stop, videolens_env
from videolens.pipeline.embedded_server import STATE_FILE
from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import ClipSpec

INTERVAL_S = 0.5
# The fault tests import these from here.
__all__ = [
    "VIDEOLENS",
    "DataDir",
    "alive",
    "assert_frames_complete",
    "expected_indices",
    "kill_hard",
    "poll",
    "ready",
    "spawn",
    "start_up",
    "stop",
]


@dataclass
class DataDir:
    """One embedded deployment: a data dir and the ports its processes use."""

    root: Path
    temporal_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def environment(self) -> dict[str, str]:
        return videolens_env(
            VIDEOLENS_DATA_DIR=str(self.root),
            VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(self.temporal_port),
            VIDEOLENS_STRATEGY="interval",
            VIDEOLENS_INTERVAL_S=str(INTERVAL_S),
            VIDEOLENS_BATCH_SIZE="2",
            VIDEOLENS_SPEECH="off",
            VIDEOLENS_HEARTBEAT_TIMEOUT_S="3",
        )

    def server_pid(self) -> int | None:
        """The recorded embedded Temporal server's pid, while it is alive."""
        try:
            pid = int(json.loads((self.root / STATE_FILE).read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return None
        return pid if alive(pid) else None

    def sessions(self) -> list[Path]:
        folder = self.root / "sessions"
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def described(self) -> int:
        """Frames described so far, over every session (batch files on disk)."""
        count = 0
        for session in self.sessions():
            for batch in (session / "batches").glob("*.json"):
                try:
                    count += len(json.loads(batch.read_text()))
                except (OSError, ValueError):
                    continue
        return count

    def parts(self) -> list[Path]:
        folder = self.root / "uploads"
        return sorted(folder.glob("*.part")) if folder.is_dir() else []


def alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def start_up(data: DataDir) -> subprocess.Popen[str]:
    """``videolens up`` on the data dir, ready to serve."""
    process = spawn([VIDEOLENS, "up", "--port", str(data.api_port)], data.environment())
    poll(lambda: ready(data.url) or process.poll() is not None, 120, "`videolens up` to be ready")
    assert process.poll() is None, process.communicate()[1]
    return process


def kill_hard(process: subprocess.Popen[str]) -> str:
    """SIGKILL ``process`` (no cleanup runs) and return what it wrote on stderr."""
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=30)
    return stderr


def expected_indices(clip: ClipSpec) -> list[int]:
    return list(range(math.ceil(clip.duration_s / INTERVAL_S - 1e-6)))


def assert_frames_complete(document: dict[str, Any], clip: ClipSpec) -> None:
    """Every planned frame once: indices complete and unique, at the interval's times."""
    indices = [int(frame["index"]) for frame in document["frames"]]
    assert len(indices) == len(set(indices)), "a frame was stored twice"
    assert len(indices) == len(expected_indices(clip))
    times = sorted(float(frame["timestamp_s"]) for frame in document["frames"])
    assert times == pytest.approx([n * INTERVAL_S for n in expected_indices(clip)], abs=0.05)
