"""``up`` and ``serve`` as real processes (clean stop on SIGTERM), and the ``keys`` commands."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from pathlib import Path
from subprocess import Popen

import pytest
from typer.testing import CliRunner

from polling import poll
from process_helpers import listening, ready, running, stop, videolens_env
from videolens.cli.keys_command import keys_app
from videolens.pipeline.temporal_server import free_port


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    return videolens_env(VIDEOLENS_DATA_DIR=str(data_dir), **extra)


def _start(command: str, port: int, env: dict[str, str]) -> AbstractContextManager[Popen[str]]:
    code = f"from videolens.cli.server_command import {command}; {command}('127.0.0.1', {port})"
    return running([sys.executable, "-c", code], env)


def test_up_runs_everything_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port, temporal_port = free_port(), free_port()
    env = _environment(tmp_path / "data", VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(temporal_port))
    with _start("up", port, env) as process:
        poll(lambda: ready(f"http://127.0.0.1:{port}"), 90, "`videolens up` to be ready")
        returncode, stderr = stop(process, timeout_s=60)
    assert returncode == 0, stderr
    assert f"http://127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr
    # The embedded Temporal server it started is gone with it.
    poll(lambda: not listening(temporal_port), 5, "the embedded Temporal server to be gone")
    assert not listening(port)


def test_serve_uses_the_configured_temporal(tmp_path: Path, temporal_address: str) -> None:
    port = free_port()
    env = _environment(tmp_path / "data", VIDEOLENS_TEMPORAL_ADDRESS=temporal_address)
    with _start("serve", port, env) as process:
        poll(lambda: ready(f"http://127.0.0.1:{port}"), 60, "`videolens serve` to be ready")
        returncode, _ = stop(process, timeout_s=30)
    assert returncode == 0


def test_serve_without_temporal_or_exposed_without_keys_refuses(tmp_path: Path) -> None:
    from videolens.cli.server_command import serve, up
    from videolens.config import Settings
    from videolens.errors import ConfigurationError

    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    with pytest.raises(ConfigurationError, match="VIDEOLENS_TEMPORAL_ADDRESS"):
        serve("127.0.0.1", free_port(), settings)
    with pytest.raises(ConfigurationError, match="without API keys"):
        up("0.0.0.0", free_port(), settings)


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"VIDEOLENS_DATA_DIR": str(tmp_path / "data")}
    created = runner.invoke(keys_app, ["create", "ci"], env=env)
    assert created.exit_code == 0, created.output
    raw_key = created.stdout.strip()
    assert raw_key.startswith("vl_")
    stored = (tmp_path / "data" / "keys.json").read_text()
    assert raw_key.split("_", 2)[2] not in stored
    assert oct((tmp_path / "data" / "keys.json").stat().st_mode & 0o777) == "0o600"

    listed = runner.invoke(keys_app, ["list"], env=env)
    key_id = raw_key.split("_")[1]
    assert key_id in listed.stdout and "ci" in listed.stdout
    assert raw_key not in listed.stdout

    assert runner.invoke(keys_app, ["revoke", key_id], env=env).exit_code == 0
    assert key_id not in runner.invoke(keys_app, ["list"], env=env).stdout
    assert runner.invoke(keys_app, ["revoke", key_id], env=env).exit_code == 2
