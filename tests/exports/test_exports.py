"""Every export parsed back: JSON, Markdown, SRT, WebVTT, YouTube chapters, CSV."""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from videolens.errors import VideoLensError
from videolens.exports import (
    EXPORT_FORMATS,
    ChaptersUnavailableError,
    NoSpeechError,
    UnknownExportFormatError,
    export_session,
)
from videolens.timeline import SessionDocument

SESSION_DIR = Path("/data/sessions/abcdefabcdef")
SCENES = [
    (0.0, "a title card", ["WELCOME", "to <the> show & more"], True),
    (2.5, "a title card", [], False),
    (2.5, "a duplicate time, dropped from captions", [], False),
    (6.04, "a red car --> drives\nfast", [], True),
    (61.5, "a harbour | with *boats*", ["HARBOR"], True),
    (3725.25, "closing credits", ["THE END"], True),
]


def make_document(**fields: Any) -> SessionDocument:
    frames = [
        {
            "index": i, "timestamp_s": t, "description": d, "text": text, "objects": ["boat"],
            "people": [], "actions": [], "model": "basic", "reason": "shot", "shot_start": shot,
            "motion": 0.5, "image": str(SESSION_DIR / "frames" / f"{i:06d}.jpg"),
        }
        for i, (t, d, text, shot) in enumerate(SCENES)
    ]  # fmt: skip
    document = {
        "session_id": "abcdefabcdef", "status": "completed", "created_at": "2026-01-01T00:00:00",
        "video": {"path": "/v/city.mp4", "duration_s": 3730.0, "width": 640, "height": 360},
        "frames": frames,
        "coverage": {"frames": len(frames), "frames_per_min": 0.1, "max_gap_s": 3663.75},
        "shots": {"count": 4, "starts_s": [0.0, 6.04, 61.5, 3725.25]},
    }  # fmt: skip
    document.update(fields)
    return SessionDocument.model_validate(document)


_TIMING = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([,.])(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\4(\d{3})$")


def parse_cues(text: str, separator: str) -> list[tuple[float, float, str]]:
    """A strict little SRT/VTT reader: numbered blocks, one timing line, text lines."""
    cues = []
    blocks = [b for b in text.strip("\n").split("\n\n") if b]
    if separator == ".":
        assert blocks.pop(0) == "WEBVTT"
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        assert lines[0] == str(number)
        match = _TIMING.match(lines[1])
        assert match and match.group(4) == separator, lines[1]
        h1, m1, s1, _, ms1, h2, m2, s2, ms2 = match.groups()
        assert int(m1) < 60 and int(s1) < 60 and int(m2) < 60 and int(s2) < 60
        start = int(h1) * 3600 + int(m1) * 60 + int(s1) + int(ms1) / 1000
        end = int(h2) * 3600 + int(m2) * 60 + int(s2) + int(ms2) / 1000
        assert len(lines) >= 3 and all(line.strip() for line in lines[2:])
        assert all("-->" not in line for line in lines[2:])
        cues.append((start, end, "\n".join(lines[2:])))
    return cues


@pytest.mark.parametrize(("fmt", "separator"), [("moments-srt", ","), ("moments-vtt", ".")])
def test_moment_captions_have_valid_ordered_timings(fmt: str, separator: str) -> None:
    cues = parse_cues(export_session(make_document(), fmt), separator)
    assert len(cues) == 5  # the frame at a duplicate time is dropped
    for (start, end, _), following in zip(cues, [*cues[1:], None], strict=True):
        assert 0 <= start < end
        if following is not None:
            assert end <= following[0]
    assert cues[0][:2] == (0.0, 2.5) and cues[-1][:2] == (3725.25, 3730.0)
    arrow = "--&gt;" if fmt == "moments-vtt" else "->"
    assert cues[2][2].startswith(f"a red car {arrow} drives fast")
    first = cues[0][2]
    if fmt == "moments-vtt":
        assert "&lt;the&gt; show &amp; more" in first
    else:
        assert "<the> show & more" in first


def test_the_last_caption_without_a_known_duration_is_short() -> None:
    document = make_document(video={"path": "x.mp4"})
    last = parse_cues(export_session(document, "moments-srt"), ",")[-1]
    assert 0 < last[1] - last[0] <= 5.0


def test_youtube_chapters_start_at_zero_and_ascend() -> None:
    document = make_document(video={"path": "/v/city.mp4", "duration_s": 3740.0})
    text = export_session(document, "youtube")
    lines = text.strip().split("\n")
    assert lines[0] == "00:00 WELCOME to <the> show & more"
    stamps = [line.split(" ", 1)[0] for line in lines]
    seconds = [sum(int(p) * 60**i for i, p in enumerate(reversed(s.split(":")))) for s in stamps]
    assert seconds == sorted(set(seconds)) and seconds[-1] == 3725
    assert stamps[-1] == "1:02:05"
    stored = make_document(chapters=[{"start_s": 4.0, "title": "Intro"}, {"start_s": 61.5,
                           "title": "Harbour"}, {"start_s": 600.0, "title": "Sea"}])  # fmt: skip
    assert export_session(stored, "youtube") == "00:00 Intro\n01:01 Harbour\n10:00 Sea\n"


def test_csv_round_trips() -> None:
    rows = list(csv.DictReader(io.StringIO(export_session(make_document(), "csv"))))
    assert len(rows) == len(SCENES)
    assert rows[0]["text"] == "WELCOME; to <the> show & more"
    assert rows[3]["description"] == "a red car --> drives\nfast"
    assert float(rows[-1]["timestamp_s"]) == 3725.25 and rows[-1]["timestamp"] == "1:02:05"


def test_json_round_trips() -> None:
    document = make_document(summary="Ünïcode summary")
    assert json.loads(export_session(document, "json")) == document.as_json()


def test_markdown_report(tmp_path: Path) -> None:
    document = make_document(summary="A city *walk*.")
    report = export_session(document, "markdown")
    assert report.startswith("# city.mp4\n")
    assert "## Summary\n\nA city \\*walk\\*." in report
    assert "- **00:00** WELCOME to \\<the\\> show & more" in report
    assert "![frame 4](frames/000004.jpg)" in report
    assert "a harbour \\| with \\*boats\\*" in report
    elsewhere = export_session(document, "markdown", relative_to=Path("/data/reports"))
    assert "![frame 4](../sessions/abcdefabcdef/frames/000004.jpg)" in elsewhere


def test_formats_and_errors() -> None:
    assert {"json", "markdown", "srt", "vtt", "youtube", "csv"} <= set(EXPORT_FORMATS)
    assert EXPORT_FORMATS["vtt"].content_type.startswith("text/vtt")
    assert export_session(make_document(), "md") == export_session(make_document(), "markdown")
    with pytest.raises(UnknownExportFormatError, match="choose one of"):
        export_session(make_document(), "docx")
    empty = make_document(frames=[])
    assert export_session(empty, "moments-srt") == ""
    assert export_session(empty, "moments-vtt") == "WEBVTT\n"


SPEECH = [
    (1.2, 3.4, "Hello there."),
    (3.0, 4.1, "Overlapping start <b> & more"),
    (10.0, 10.2, "Hi."),
    (20.0, 31.0, " ".join(["a long sentence that goes on"] * 8)),
]


def _with_speech(**speech: Any) -> SessionDocument:
    segments = [{"start_s": a, "end_s": b, "text": t} for a, b, t in SPEECH]
    return make_document(speech={"status": "ok", "language": "en", "segments": segments, **speech})


@pytest.mark.parametrize(("fmt", "separator"), [("srt", ","), ("vtt", ".")])
def test_subtitles_are_the_speech_readable_and_in_order(fmt: str, separator: str) -> None:
    cues = parse_cues(export_session(_with_speech(), fmt), separator)
    assert cues[0][:2] == (1.2, 3.0)  # cut where the overlapping next segment starts
    assert cues[0][2] == "Hello there."
    assert cues[2][:2] == (10.0, 11.0)  # a 0.2 s segment stays up for the minimum time
    long_cues = [cue for cue in cues if cue[0] >= 20.0]
    assert len(long_cues) > 1 and long_cues[-1][1] == pytest.approx(31.0, abs=0.01)
    for start, end, text in cues:
        assert end > start
        assert all(len(line) <= 42 for line in text.split("\n")) and text.count("\n") <= 1
    assert [c[0] for c in cues] == sorted(c[0] for c in cues)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(cues))
    words = " ".join(text for _, _, text in long_cues).split()
    assert words == " ".join(["a long sentence that goes on"] * 8).split()
    if fmt == "vtt":
        assert "&lt;b&gt; &amp; more" in cues[1][2]


@pytest.mark.parametrize(
    ("speech", "reason"),
    [
        (None, "no speech track"),
        ({"status": "none", "segments": []}, "no audio track"),
        ({"status": "off", "segments": []}, "turned off"),
        ({"status": "unavailable", "reason": "the AC3 track cannot be decoded"}, "AC3"),
        ({"status": "ok", "segments": []}, "no speech was recognised"),
    ],
)
def test_subtitles_without_speech_say_why(speech: dict[str, Any] | None, reason: str) -> None:
    with pytest.raises(NoSpeechError, match=reason) as failure:
        export_session(make_document(speech=speech), "srt")
    assert "moments-srt" in str(failure.value)


def _frames_at(times: list[float], texts: list[str]) -> list[dict[str, Any]]:
    return [
        {"index": i, "timestamp_s": t, "description": d, "shot_start": True, "reason": "shot"}
        for i, (t, d) in enumerate(zip(times, texts, strict=True))
    ]


@pytest.mark.parametrize(("fmt", "separator"), [("moments-srt", ","), ("moments-vtt", ".")])
def test_no_moment_caption_flashes_by(fmt: str, separator: str) -> None:
    """A frame 41 ms before a cut, and a last frame 0.3 s before the end, are not 41 ms cues."""
    times = [0.0, 4.959, 5.0, 9.0, 12.7]
    texts = ["a street", "a street, late", "a harbour", "a harbour at dusk", "credits"]
    document = make_document(frames=_frames_at(times, texts), video={"duration_s": 13.0})
    cues = parse_cues(export_session(document, fmt), separator)
    assert all(end - start >= 1.0 for start, end, _ in cues), cues
    assert [text for _, _, text in cues] == ["a street", "a harbour", "a harbour at dusk"]
    assert cues[0][:2] == (0.0, 4.959) and cues[1][:2] == (4.959, 9.0)
    assert cues[-1][:2] == (9.0, 13.0)  # the last 0.3 s caption joined the one before


def _chapter_lines(text: str) -> list[tuple[int, str]]:
    lines = []
    for line in text.strip().split("\n"):
        stamp, title = line.split(" ", 1)
        lines.append((sum(int(p) * 60**i for i, p in enumerate(reversed(stamp.split(":")))), title))
    return lines


def test_youtube_chapters_follow_youtubes_rules() -> None:
    chapters = [
        {"start_s": 0.0, "title": "Intro"},
        {"start_s": 4.0, "title": "Too soon"},
        {"start_s": 12.0, "title": "Street"},
        {"start_s": 25.5, "title": "Harbour"},
        {"start_s": 31.0, "title": "Too short"},
        {"start_s": 44.0, "title": "Credits"},
        {"start_s": 50.0, "title": "Last 5 s"},
    ]
    frames = _frames_at([float(c["start_s"]) for c in chapters], [c["title"] for c in chapters])
    document = make_document(chapters=chapters, frames=frames, video={"duration_s": 55.0})
    lines = _chapter_lines(export_session(document, "youtube"))
    assert lines == [(0, "Intro"), (12, "Street"), (25, "Harbour"), (44, "Credits")]
    ends = [start for start, _ in lines[1:]] + [55]
    assert all(end - start >= 10 for (start, _), end in zip(lines, ends, strict=True))


@pytest.mark.parametrize(
    ("duration_s", "chapters", "reason"),
    [
        (11.0, [(0.0, "A dark frame"), (4.0, "Text"), (8.0, "Light")], "the video lasts 00:11"),
        (80.0, [(0.0, "Street"), (40.0, "Harbour")], "the video has 2 chapters of at least 10 s"),
        (80.0, [(0.0, "Street"), (3.0, "Car"), (6.0, "Bus")], "has 1 chapter of at least"),
    ],
)
def test_youtube_chapters_say_why_not(
    duration_s: float, chapters: list[tuple[float, str]], reason: str
) -> None:
    stored = [{"start_s": start, "title": title} for start, title in chapters]
    frames = _frames_at([start for start, _ in chapters], [title for _, title in chapters])
    document = make_document(chapters=stored, frames=frames, video={"duration_s": duration_s})
    with pytest.raises(ChaptersUnavailableError) as caught:
        export_session(document, "youtube")
    message = str(caught.value)
    assert reason in message and "YouTube needs at least 3 chapters of at least 10 s" in message
    assert isinstance(caught.value, VideoLensError)


def test_markdown_images_show_wherever_the_report_is_saved(tmp_path: Path) -> None:
    """Real JPEG frames in a session folder; the report saved in another folder, the session
    folder then removed: every image reference still decodes."""
    frames_dir = tmp_path / "session" / "frames"
    frames_dir.mkdir(parents=True)
    frames = []
    for i, colour in enumerate([(0, 0, 255), (0, 255, 0), (255, 0, 0)]):
        image = frames_dir / f"frame_{i:07d}.jpg"
        assert cv2.imwrite(str(image), np.full((432, 768, 3), colour, np.uint8))
        frames.append({"index": i, "timestamp_s": 2.0 * i, "description": f"colour {i}",
                       "image": str(image)})  # fmt: skip
    document = make_document(frames=frames, chapters=[], video={"duration_s": 6.0})
    elsewhere = tmp_path / "reports"
    elsewhere.mkdir()
    report = elsewhere / "report.md"
    report.write_text(export_session(document, "markdown", relative_to=elsewhere))
    shutil.rmtree(tmp_path / "session")
    targets = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report.read_text())
    assert len(targets) == 3
    for target, (b, g, r) in zip(targets, [(0, 0, 255), (0, 255, 0), (255, 0, 0)], strict=True):
        assert target.startswith("data:image/jpeg;base64,")
        data = base64.b64decode(target.split(",", 1)[1])
        assert len(data) < 20_000
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert pixels.shape == (180, 320, 3)
        assert np.abs(pixels.mean(axis=(0, 1)) - (b, g, r)).max() < 8
