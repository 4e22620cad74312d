"""The chat, ask, search and export commands, on a Typer app that registers them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from timeline_factory import make_document, store_document
from typer.testing import CliRunner

from openai_fake import OpenAIFake
from videolens.cli.chat_command import ask, chat, export, search

SESSION = "abcdefabcdef"
app = typer.Typer()
app.command()(ask)
app.command()(chat)
app.command()(search)
app.command()(export)
runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("VIDEOLENS_CHAT_API_KEY", "NEBIUS_API_KEY", "VIDEOLENS_CHAT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VIDEOLENS_DATA_DIR", str(tmp_path / "data"))
    store_document(tmp_path / "data" / "sessions", make_document(SESSION))
    return tmp_path / "data"


def test_ask_json_without_a_model_is_retrieval_only(data_dir: Path) -> None:
    result = runner.invoke(app, ["ask", SESSION, "where is BAKERY shown?", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["mode"] == "retrieval"
    assert answer["citations"][0] == {
        "timestamp_s": 60.0, "frame_index": 20, "valid": True, "kind": "frame",
        "segment_index": None,
    }  # fmt: skip


def test_ask_streams_the_model_answer(
    data_dir: Path, openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEOLENS_CHAT_BASE_URL", openai_fake.base_url)
    openai_fake.script(reply_text="The bus is at [01:18], not at [07:00].")
    result = runner.invoke(app, ["ask", SESSION, "when is the bus there?"])
    assert result.exit_code == 0, result.output
    assert "The bus is at [01:18], not at [07:00]." in result.stdout
    assert "[07:00] matches no analysed moment" in result.stderr


def test_endpoint_errors_are_one_line_and_an_exit_code(
    data_dir: Path, openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEOLENS_CHAT_BASE_URL", openai_fake.base_url)
    openai_fake.script(status=500)
    result = runner.invoke(app, ["ask", SESSION, "what happens?", "--json"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and "Traceback" not in result.output
    unknown = runner.invoke(app, ["ask", "zzzzzzzzzzzz", "what?"])
    assert unknown.exit_code == 2 and "no session" in unknown.stderr


def test_chat_keeps_going_until_exit(
    data_dir: Path, openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEOLENS_CHAT_BASE_URL", openai_fake.base_url)
    openai_fake.script(times=1, status=401)
    result = runner.invoke(app, ["chat", SESSION], input="first?\nat 0:30 what?\nexit\n")
    assert result.exit_code == 0, result.output
    assert "error:" in result.stderr and "The answer is at [00:00]." in result.stdout
    turns = json.loads((data_dir / "sessions" / SESSION / "chat.json").read_text())["turns"]
    assert len(turns) == 1  # the failed question left no turn


def test_search_and_export(data_dir: Path, tmp_path: Path) -> None:
    found = runner.invoke(app, ["search", "sunset", "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)[0]["timestamp"] == "01:33"
    one = runner.invoke(app, ["search", "sunset", "--session", SESSION])
    assert "[01:33]" in one.stdout
    # "srt" is now the speech track's subtitles; the described moments are "moments-srt".
    no_speech = runner.invoke(app, ["export", SESSION, "--format", "srt"])
    assert no_speech.exit_code == 1 and "no speech track" in no_speech.stderr
    srt = runner.invoke(app, ["export", SESSION, "--format", "moments-srt"])
    # The first two moments read the same, so they are one caption.
    assert srt.exit_code == 0 and srt.stdout.startswith("1\n00:00:00,000 --> 00:00:06,000\n")
    target = tmp_path / "report" / "city.md"
    target.parent.mkdir()
    written = runner.invoke(app, ["export", SESSION, "-f", "md", "-o", str(target)])
    assert written.exit_code == 0 and target.read_text().startswith("# city.mp4")
    bad = runner.invoke(app, ["export", SESSION, "--format", "docx"])
    assert bad.exit_code == 1 and "choose one of" in bad.stderr
