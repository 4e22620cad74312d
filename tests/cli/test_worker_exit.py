"""``videolens worker`` without a Temporal to talk to ends with its one line and exit code 1."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from process_helpers import worker_env
from videolens.config import Settings


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_worker_without_temporal_exits_cleanly_every_time(tmp_path: Path) -> None:
    """After its connects to an absent Temporal failed for 5 s, the worker aborted at exit in
    about half the runs (``Fatal Python error: PyGILState_Release`` or a segfault, exit -6/-11)
    while the SDK's objects were freed during the interpreter's shutdown. Four runs in a row
    must each end with the error line and exit code 1."""
    absent = f"127.0.0.1:{_closed_port()}"
    env = worker_env(Settings(data_dir=tmp_path / "data", temporal_address=absent))
    for _ in range(4):
        done = subprocess.run(
            [sys.executable, "-m", "videolens", "worker", "--queue", "vision"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "did not answer" in done.stderr
        assert "Fatal Python error" not in done.stderr
