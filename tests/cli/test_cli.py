"""The ``videolens`` command as a user runs it: a real process, embedded Temporal included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import ClipSpec, Shot, write_clip

VIDEOLENS = str(Path(sys.executable).parent / "videolens")
EmbeddedRun = tuple[Path, ClipSpec, dict[str, Any]]


def _run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("VIDEOLENS_")
    }
    environment.update(VIDEOLENS_DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [VIDEOLENS, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRun:
    """One `videolens analyze --json` in embedded mode: it starts and stops its own Temporal."""
    root = tmp_path_factory.mktemp("cli")
    clip = write_clip(
        root / "clip.mp4",
        [Shot(3.0, (30, 120, 200), "HARBOR"), Shot(3.0, (240, 220, 60), "SUNRISE")],
    )
    data_dir = root / "data"
    port = free_port()
    result = _run(
        ["analyze", str(clip.path), "--json"], data_dir, VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(port)
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    document["_stderr"] = result.stderr
    document["_port"] = port
    return data_dir, clip, document


def test_analyze_json_follows_the_public_contract(embedded_run: EmbeddedRun) -> None:
    _, clip, document = embedded_run
    assert document["status"] == "completed"
    assert set(document["video"]) >= {"path", "duration_s", "fps", "width", "height"}
    assert document["video"]["path"] == str(clip.path)
    assert set(document["coverage"]) >= {"frames", "frames_per_min", "max_gap_s"}
    assert document["frames"]
    for frame in document["frames"]:
        assert set(frame) >= {"index", "timestamp_s", "image", "description"}
        assert Path(frame["image"]).is_file()
    assert any("HARBOR" in frame["text"] for frame in document["frames"])
    assert "timings" in document


def test_embedded_server_is_stopped_and_its_state_kept(
    embedded_run: EmbeddedRun,
) -> None:
    data_dir, _, document = embedded_run
    import socket

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", document["_port"])) != 0, "server left running"
    assert (data_dir / "temporal.sqlite").is_file()


def test_progress_bar_is_shown_on_stderr(embedded_run: EmbeddedRun) -> None:
    _, _, document = embedded_run
    stderr = document["_stderr"]
    assert "completed" in stderr
    assert f"{len(document['frames'])}/{len(document['frames'])}" in stderr


def test_sessions_and_show(embedded_run: EmbeddedRun) -> None:
    data_dir, _, document = embedded_run
    listed = _run(["sessions", "--json"], data_dir)
    assert listed.returncode == 0, listed.stderr
    assert [s["session_id"] for s in json.loads(listed.stdout)] == [document["session_id"]]
    shown = _run(["show", document["session_id"]], data_dir)
    assert shown.returncode == 0
    assert "coverage:" in shown.stdout
    assert "[00:00]" in shown.stdout
    missing = _run(["show", "nosuchsessio"], data_dir)
    assert missing.returncode == 2
    assert "no session" in missing.stderr


def _bad_inputs(root: Path) -> dict[str, Path]:
    good = write_clip(root / "good.mp4", [Shot(4.0, (10, 200, 10), "")])
    data = good.path.read_bytes()
    files = {
        "empty": b"",
        "not-a-video": b"hello, world\n" * 100,
        "corrupt": bytes(range(256)) * 400,
        "truncated": data[: len(data) // 3],
    }
    paths = {}
    for name, content in files.items():
        path = root / f"{name}.mp4"
        path.write_bytes(content)
        paths[name] = path
    paths["missing"] = root / "does-not-exist.mp4"
    return paths


def test_bad_inputs_exit_2_with_one_sentence_and_no_session(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    for name, path in _bad_inputs(tmp_path).items():
        result = _run(
            ["analyze", str(path)], data_dir, VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port())
        )
        assert result.returncode == 2, (name, result.stderr)
        message = result.stderr.strip()
        assert message.startswith("error:"), (name, message)
        assert "Traceback" not in message
        assert path.name in message, (name, message)
    sessions = data_dir / "sessions"
    assert not sessions.exists() or not any(sessions.iterdir())


def test_unknown_backend_is_a_clear_error(embedded_run: EmbeddedRun, tmp_path: Path) -> None:
    _, clip, _ = embedded_run
    result = _run(["analyze", str(clip.path), "--backend", "nope"], tmp_path / "data")
    assert result.returncode == 2
    assert "unknown vision backend 'nope'" in result.stderr
