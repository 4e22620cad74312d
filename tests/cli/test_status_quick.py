"""`videolens status` answers at once when nothing runs (issue 20: it took 8 s).

The time went to a 5 s loop of connection retries to a Temporal that was down, and to importing
every command's module (the API, the chat stack, the Temporal SDK) before any ran. Now a refused
connection is the answer, and a command imports only what it uses. What it reports while things
run is tested in ``tests/metrics/test_status_command.py``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from process_helpers import videolens_env
from videolens.cli.status_command import gather_status
from videolens.config import Settings
from videolens.pipeline.embedded_server import STATE_FILE
from videolens.pipeline.temporal_server import free_port

# Far below the 5 s the old connect loop waited; a refused connection takes microseconds.
QUICK_S = 1.0


def _imported_by_status(env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``videolens status`` with ``-X importtime``: its result and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "videolens", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = " ".join(
        line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line
    )
    return done, modules


def _timed_status(settings: Settings) -> tuple[float, str]:
    started = time.monotonic()
    figures = asyncio.run(gather_status(settings))
    return time.monotonic() - started, figures.temporal_error


def test_nothing_running_loads_neither_temporal_nor_the_api(tmp_path: Path) -> None:
    down = f"127.0.0.1:{free_port()}"
    for extra in ({}, {"VIDEOLENS_TEMPORAL_ADDRESS": down}):
        env = videolens_env(VIDEOLENS_DATA_DIR=str(tmp_path / "data"), **extra)
        done, modules = _imported_by_status(env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Sessions: 0 running" in done.stdout
        imported = set(modules.split())
        assert "temporalio" not in imported, extra
        assert not {"fastapi", "videolens.api", "videolens.chat"} & imported, extra


def test_a_cluster_that_is_down_is_reported_at_once(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", temporal_address=address)  # type: ignore[call-arg]
    took, error = _timed_status(settings)
    assert took < QUICK_S, f"status took {took:.2f} s with nothing on {address}"
    assert error  # why it could not be asked: the connection was refused


def test_no_embedded_server_and_a_stale_record_answer_at_once(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    took, error = _timed_status(settings)
    assert took < QUICK_S and not error
    # A record left by a server that died: its pid is no temporal process.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    record = f'{{"port": {free_port()}, "pid": 999999999, "db_path": "/nowhere.sqlite"}}'
    (settings.data_dir / STATE_FILE).write_text(record, encoding="utf-8")
    took, error = _timed_status(settings)
    assert took < QUICK_S and not error
