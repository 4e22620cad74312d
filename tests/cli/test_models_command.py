"""``videolens models``: the backend list (table and ``--json``) and ``pull``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from videolens.cli.models_command import models_app

runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings from defaults only: no VIDEOLENS_* variables, no .env file."""
    for key in list(os.environ):
        if key.startswith("VIDEOLENS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIDEOLENS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VIDEOLENS_QWEN_MODEL", "videolens-tests/no-such-model")


@pytest.mark.parametrize("args", [["--json"], ["list", "--json"]])
def test_json_lists_every_backend_with_its_availability(args: list[str]) -> None:
    result = runner.invoke(models_app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    assert all(set(row) == {"name", "available", "reason"} for row in rows)
    assert all(
        isinstance(row["available"], bool) and isinstance(row["reason"], str) for row in rows
    )
    by_name = {row["name"]: row for row in rows}
    assert {"auto", "basic", "qwen"} <= set(by_name)
    assert by_name["basic"]["available"]
    assert not by_name["qwen"]["available"]  # no weights here (and no GPU on CI)
    assert by_name["qwen"]["reason"]
    assert by_name["auto"]["reason"] == "uses basic"


def test_the_table_names_each_backend() -> None:
    result = runner.invoke(models_app, [])
    assert result.exit_code == 0, result.output
    for name in ("auto", "basic", "qwen"):
        assert name in result.stdout


def test_pull_downloads_the_configured_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    requested: list[Any] = []

    def snapshot_download(repo_id: str, **kwargs: Any) -> str:
        requested.append(repo_id)
        return "/cache/models--videolens-tests--no-such-model/snapshots/abc"

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    result = runner.invoke(models_app, ["pull", "qwen"])
    assert result.exit_code == 0, result.output
    assert requested == ["videolens-tests/no-such-model"]
    assert "snapshots/abc" in result.stdout


def test_pull_without_network_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    def snapshot_download(repo_id: str, **kwargs: Any) -> str:
        raise OSError("Name or service not known\nwith a long traceback-like tail")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    result = runner.invoke(models_app, ["pull", "qwen"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: could not download videolens-tests/no-such-model: Name or service not known"
    )
    assert "Traceback" not in result.output


def test_pull_of_a_backend_without_weights_or_unknown() -> None:
    basic = runner.invoke(models_app, ["pull", "basic"])
    assert basic.exit_code == 0
    assert "nothing to pull" in basic.stdout
    unknown = runner.invoke(models_app, ["pull", "nope"])
    assert unknown.exit_code == 2
    assert "unknown backend 'nope'" in unknown.stderr


def test_models_table_keeps_brackets_in_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    from videolens.backends.base import Availability
    from videolens.backends.qwen.loading import GPU_EXTRA
    from videolens.cli import models_command

    def available(_settings: object) -> dict[str, Availability]:
        return {"qwen": Availability(False, f"transformers is not installed; {GPU_EXTRA}")}

    monkeypatch.setattr(models_command, "available_backends", available)
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(models_command.models_app, [])
    assert result.exit_code == 0, result.output
    assert 'pip install -e ".[gpu]"' in result.stdout


def test_models_says_what_transcribes_speech_and_why_not() -> None:
    runner = CliRunner()
    shown = runner.invoke(models_app, [], env={"VIDEOLENS_SPEECH": "auto"})
    assert shown.exit_code == 0
    assert "speech: whisper-tiny.en (whisper), available" in shown.stdout
    off = runner.invoke(models_app, [], env={"VIDEOLENS_SPEECH": "off"})
    assert "speech: not available — speech recognition is off" in off.stdout
