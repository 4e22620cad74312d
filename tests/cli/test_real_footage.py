"""The README's commands on real footage with real dialogue (Megamind.avi from Debian's
opencv-doc: a film trailer clip, AC3 audio): what a person reads is true and cites moments."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from real_media import opencv_data_file
from videolens.pipeline.temporal_server import free_port

VIDEOLENS = str(Path(sys.executable).parent / "videolens")
pytestmark = pytest.mark.timeout(600)


def _run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIDEOLENS_")}
    env.update(VIDEOLENS_DATA_DIR=str(data_dir), VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()))
    return subprocess.run(
        [VIDEOLENS, *args], env=env, capture_output=True, text=True, timeout=400,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def trailer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(data dir, session id, the printed timeline) of `videolens analyze Megamind.avi`."""
    data_dir = tmp_path_factory.mktemp("trailer") / "data"
    result = _run(["analyze", str(opencv_data_file("Megamind.avi"))], data_dir)
    assert result.returncode == 0, result.stderr
    session_id = result.stdout.split()[1]
    return data_dir, session_id, result.stdout


def _document(trailer: tuple[Path, str, str]) -> dict[str, Any]:
    data_dir, session_id, _ = trailer
    shown = _run(["show", session_id, "--json"], data_dir)
    assert shown.returncode == 0, shown.stderr
    document: dict[str, Any] = json.loads(shown.stdout)
    return document


def test_the_timeline_shows_people_and_what_is_said(trailer: tuple[Path, str, str]) -> None:
    _, _, timeline = trailer
    # A time shows a fraction where two moments (or two segments) share its second.
    assert re.search(r"^\[00:0\d(\.\d+)?\] said: \".*judge.*book", timeline, re.M | re.I), timeline
    assert re.search(r"^speech: \d+ segments \(whisper-tiny\.en, en\)$", timeline, re.M)
    assert re.search(r"^\[\d{2}:\d{2}(\.\d+)?\] (A person|Two people)", timeline, re.M), timeline
    assert "no faces" not in timeline


def test_no_two_moments_print_the_same_time(trailer: tuple[Path, str, str]) -> None:
    """Issue 20: frames in one second printed as [00:06] twice; each moment's time differs."""
    _, _, timeline = trailer
    stamps = re.findall(r"^\[([0-9:.]+)\] (?!said:)", timeline, re.M)
    assert len(stamps) > 4 and len(stamps) == len(set(stamps)), timeline


def test_the_floor_holds_and_sizes_are_as_displayed(trailer: tuple[Path, str, str]) -> None:
    document = _document(trailer)
    assert document["coverage"]["max_gap_s"] <= document["coverage"]["floor_s"] + 0.05
    assert document["coverage"]["floor_s"] == pytest.approx(2.0)
    frame = document["frames"][0]
    assert (frame["width"], frame["height"]) == (720, 528)


def test_ask_what_was_said_cites_the_moment(trailer: tuple[Path, str, str]) -> None:
    data_dir, session_id, _ = trailer
    answer = _run(["ask", session_id, "what did they say about the book?"], data_dir)
    assert answer.returncode == 0, answer.stderr
    assert re.search(r"\[00:0\d\].*judge a book", answer.stdout, re.I), answer.stdout
    people = _run(["ask", session_id, "how many people are there?"], data_dir)
    assert re.search(r"(\d+|one|two) (people|person)", people.stdout, re.I), people.stdout
    assert re.search(r"\[\d{2}:\d{2}\]", people.stdout)


def test_subtitles_are_the_dialogue(trailer: tuple[Path, str, str]) -> None:
    data_dir, session_id, _ = trailer
    srt = _run(["export", session_id, "-f", "srt"], data_dir)
    assert srt.returncode == 0, srt.stderr
    assert srt.stdout.startswith("1\n00:00:0")
    assert re.search(r"judge a book", srt.stdout, re.I)
