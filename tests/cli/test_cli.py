"""The ``videolens`` command as a user runs it: a real process, embedded Temporal included."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from process_helpers import (
    VIDEOLENS,
    EmbeddedRun,
    analyze_embedded,
    run_on,
    run_videolens,
    running,
    stop,
    videolens_env,
)
from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import Shot, write_clip


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRun:
    """One `videolens analyze --json` in embedded mode: it starts and stops its own Temporal."""
    return analyze_embedded(tmp_path_factory.mktemp("cli"), shot_s=3.0)


def test_analyze_json_follows_the_public_contract(embedded_run: EmbeddedRun) -> None:
    clip, document = embedded_run.clip, embedded_run.document
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
    import socket

    with socket.socket() as sock:
        port = embedded_run.temporal_port
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "server left running"
    assert (embedded_run.data_dir / "temporal.sqlite").is_file()


def test_progress_bar_is_shown_on_stderr(embedded_run: EmbeddedRun) -> None:
    document, stderr = embedded_run.document, embedded_run.stderr
    assert "completed" in stderr
    assert f"{len(document['frames'])}/{len(document['frames'])}" in stderr


def test_sessions_and_show(embedded_run: EmbeddedRun) -> None:
    data_dir, document = embedded_run.data_dir, embedded_run.document
    listed = run_on(["sessions", "--json"], data_dir)
    assert listed.returncode == 0, listed.stderr
    assert [s["session_id"] for s in json.loads(listed.stdout)] == [document["session_id"]]
    shown = run_on(["show", document["session_id"]], data_dir)
    assert shown.returncode == 0
    assert "coverage:" in shown.stdout
    assert "[00:00]" in shown.stdout
    missing = run_on(["show", "nosuchsessio"], data_dir)
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
        result = run_on(
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
    result = run_on(
        ["analyze", str(embedded_run.clip.path), "--backend", "nope"], tmp_path / "data"
    )
    assert result.returncode == 2
    assert "unknown vision backend 'nope'" in result.stderr


# The command line as people expect it (issue 11, item 7): through the real `videolens` process.


def test_dash_h_and_version(tmp_path: Path) -> None:
    from videolens import __version__

    for args in (["-h"], ["analyze", "-h"], ["models", "-h"], ["keys", "create", "-h"]):
        result = run_on(args, tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout.startswith("Usage: videolens")
    version = run_on(["--version"], tmp_path)
    assert version.returncode == 0
    assert version.stdout.strip() == f"videolens {__version__}"


def test_help_shows_flags_as_flags_choices_and_defaults(tmp_path: Path) -> None:
    result = run_on(["analyze", "--help"], tmp_path, COLUMNS="120")
    assert result.returncode == 0, result.stderr
    help_text = result.stdout
    assert "<bool>" not in help_text
    assert re.search(r"^\s+--json\s+Print JSON", help_text, re.MULTILINE)
    assert re.search(r"^\s+-h, --help\s+Show this message", help_text, re.MULTILINE)
    assert "--strategy [adaptive|interval]" in help_text
    assert "--backend [auto|basic|qwen|openai]" in help_text
    flat = " ".join(help_text.split())  # Click wraps help at 80 columns
    assert "[default: adaptive; env VIDEOLENS_STRATEGY]" in flat
    assert "[default: auto; env VIDEOLENS_BACKEND]" in flat
    assert "[default: 300; env VIDEOLENS_MAX_FRAMES]" in flat
    worker = " ".join(run_on(["worker", "--help"], tmp_path).stdout.split())
    assert "--queue [cpu|vision|cloud|all]" in worker and "[default: all]" in worker
    up = " ".join(run_on(["up", "--help"], tmp_path).stdout.split())
    assert "[default: 127.0.0.1]" in up and "[default: 8000]" in up
    # Brackets in help text are text, not markup.
    ask = " ".join(run_on(["ask", "--help"], tmp_path).stdout.split())
    assert "cites [mm:ss] moments" in ask


def test_builtin_backends_are_the_listed_choices() -> None:
    from videolens.backends import backend_names
    from videolens.cli.app import BACKENDS

    assert set(BACKENDS.strip("[]").split("|")) <= set(backend_names())


def test_help_says_where_sessions_are_kept(tmp_path: Path) -> None:
    from videolens.config import Settings

    default_dir = Settings.model_fields["data_dir"].default_factory()  # type: ignore[call-arg, misc]
    help_text = " ".join(run_on(["--help"], tmp_path, COLUMNS="200").stdout.split())
    assert "kept in DATA_DIR/sessions" in help_text
    assert str(default_dir) in help_text and "VIDEOLENS_DATA_DIR" in help_text


def test_counts_agree_in_number(tmp_path: Path) -> None:
    from videolens.store import SessionStore

    store = SessionStore(tmp_path / "sessions")
    one = store.create("/videos/one.mp4", {}).session_id
    # A running session counts the frames described so far, batch by batch.
    store.write_batch(one, "b0", [{"index": 0, "timestamp_s": 0.0, "description": "a frame"}])
    store.create("/videos/none.mp4", {})
    listing = run_on(["sessions"], tmp_path).stdout
    assert re.search(r"\b1 frame\b", listing), listing
    assert re.search(r"\b0 frames\b", listing), listing
    assert "1 frames" not in listing


def test_models_prints_the_install_command_literally(tmp_path: Path) -> None:
    # Without huggingface_hub (the gpu extra), `models pull qwen` says what to install.
    blocker = tmp_path / "site"
    (blocker / "huggingface_hub").mkdir(parents=True)
    (blocker / "huggingface_hub" / "__init__.py").write_text("raise ImportError('no gpu extra')\n")
    result = run_on(["models", "pull", "qwen"], tmp_path, PYTHONPATH=str(blocker), COLUMNS="200")
    assert result.returncode == 1
    # The same words as the README's install line: `pip install -e ".[gpu]"`.
    assert 'pip install -e ".[gpu]"' in result.stderr, result.stderr


def test_up_banner_never_cuts_an_address(tmp_path: Path) -> None:
    """On a terminal narrower than the URL, the URL and the data dir stay whole on their lines."""
    port = free_port()
    data_dir = tmp_path / "a-rather-long-data-directory-name" / "data"
    environment = videolens_env(
        VIDEOLENS_DATA_DIR=str(data_dir),
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()),
        COLUMNS="20",
    )
    lines: list[str] = []
    with running([VIDEOLENS, "up", "--port", str(port)], environment) as process:
        assert process.stderr is not None
        for line in process.stderr:  # the banner comes first, before the server starts
            lines.append(line.rstrip("\n"))
            if "Temporal" in line:
                break
        stop(process)
    url = f"http://127.0.0.1:{port}"
    assert any(url in line for line in lines), lines
    assert any(str(data_dir) in line for line in lines), lines


def test_a_running_session_without_a_server_is_shown_as_paused(tmp_path: Path) -> None:
    """After a crash the session is 'running' in the store while nothing runs its workflow."""
    from videolens.store import SessionStore

    data_dir = tmp_path / "data"
    store = SessionStore(data_dir / "sessions")
    session_id = store.create("/videos/clip.mp4", {}).session_id
    listed = run_on(["sessions"], data_dir)
    assert listed.returncode == 0, listed.stderr
    assert "running (paused: no Temporal server runs for this data dir)" in listed.stdout
    shown = run_on(["show", session_id], data_dir)
    assert shown.returncode == 0, shown.stderr
    assert "paused" in shown.stderr and "videolens up" in shown.stderr


# Issue 20, CLI items: each through the real `videolens` process.


def test_a_missing_video_is_named_by_the_path_given(tmp_path: Path) -> None:
    """Not just "nonexistent.mp4 does not exist": the directory the user typed stays."""
    data_dir = tmp_path / "data"
    absolute = tmp_path / "no-such-folder" / "nonexistent.mp4"
    result = run_on(["analyze", str(absolute)], data_dir)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: {absolute} does not exist; check the path."
    relative = run_videolens(
        ["analyze", "clips/nonexistent.mp4"],
        videolens_env(VIDEOLENS_DATA_DIR=str(data_dir)),
        cwd=tmp_path,
    )
    assert relative.returncode == 2, relative.stderr
    assert "error: clips/nonexistent.mp4 does not exist" in relative.stderr
    assert not (data_dir / "sessions").exists() or not any((data_dir / "sessions").iterdir())


def test_the_gpu_extra_is_installed_as_the_readme_says() -> None:
    from videolens.backends.qwen.loading import GPU_EXTRA

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    command = GPU_EXTRA.split(" in ")[0]
    assert command == 'pip install -e ".[gpu]"'
    assert command in readme
    assert "videolens[gpu]" not in readme
