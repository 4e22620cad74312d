"""The timeline `videolens show` prints (issue 20): frames in one second no longer look doubled
(``[00:15.8]``, ``[00:15.9]`` rather than ``[00:15]`` twice), every shown time still reads as the
second that holds it, as chat citations do, and durations are rounded to a tenth."""

from __future__ import annotations

import re
from pathlib import Path

from process_helpers import run_on
from videolens.chat.citations import check_citations
from videolens.cli.progress import render_timeline, timeline_stamps
from videolens.store import SessionStatus, SessionStore
from videolens.timeline.clock import VideoClock, format_timestamp
from videolens.timeline.model import (
    Coverage,
    Moment,
    SessionDocument,
    Speech,
    SpeechSegment,
)

TIMES = (0.0, 2.0, 15.8, 15.96, 17.5, 61.25)


def _frames() -> list[Moment]:
    return [
        Moment(index=i, timestamp_s=at, description=f"frame at {at} s")
        for i, at in enumerate(TIMES)
    ]


def _stamped(output: str) -> dict[str, str]:
    """``{description: stamp}`` for each ``[stamp] description`` line."""
    return dict(
        (text, stamp) for stamp, text in re.findall(r"^\[([0-9:.]+)\] (.+)$", output, re.MULTILINE)
    )


def test_show_tells_frames_in_one_second_apart(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    session_id = store.create("/videos/walk.mp4", {}).session_id
    store.finish(session_id, SessionStatus.COMPLETED, frames=_frames())

    shown = run_on(["show", session_id], tmp_path)

    assert shown.returncode == 0, shown.stderr
    stamps = _stamped(shown.stdout)
    assert stamps == {
        "frame at 0.0 s": "00:00",
        "frame at 2.0 s": "00:02",
        "frame at 15.8 s": "00:15.8",
        "frame at 15.96 s": "00:15.9",
        "frame at 17.5 s": "00:17",
        "frame at 61.25 s": "01:01",
    }, shown.stdout


def test_every_shown_time_cites_its_own_frame() -> None:
    """A user (or the chat) citing a time as the timeline shows it gets that frame back."""
    frames = _frames()
    for frame, stamp in zip(frames, timeline_stamps(list(TIMES)), strict=True):
        citations = check_citations(f"see {stamp}", frames)
        assert [c.valid for c in citations] == [True], stamp
        assert citations[0].frame_index == frame.index, (stamp, citations[0])


def test_a_shown_time_reads_as_the_second_that_holds_it() -> None:
    """Truncated, like the clock of the chat and of players: [00:15.9] is inside [00:15]."""
    for at, stamp in zip(TIMES, timeline_stamps(list(TIMES)), strict=True):
        assert stamp.startswith(f"[{format_timestamp(at)}"), (at, stamp)
        assert VideoClock().cited(stamp)[0].starts[0] <= at


def test_lines_in_one_second_show_as_many_decimals_as_tell_them_apart() -> None:
    assert timeline_stamps([3.0, 3.0]) == ["[00:03]", "[00:03]"]  # one time, said twice
    assert timeline_stamps([3.01, 3.02, 4.5]) == ["[00:03.01]", "[00:03.02]", "[00:04]"]
    assert timeline_stamps([3661.5, 3661.9]) == ["[1:01:01.5]", "[1:01:01.9]"]


def test_speech_is_told_apart_among_speech_and_durations_are_rounded() -> None:
    """A ``said:`` line never looks like a moment: it shows a fraction only beside another
    segment of the same second."""
    document = SessionDocument(
        session_id="s1",
        status="completed",
        created_at="2026-01-01T00:00:00Z",
        frames=[
            Moment(index=0, timestamp_s=15.8, description="a man waves"),
            Moment(index=1, timestamp_s=15.96, description="he turns"),
        ],
        coverage=Coverage(frames=2, frames_per_min=3.8, max_gap_s=1.961),
        speech=Speech(
            status="ok",
            segments=[
                SpeechSegment(start_s=15.2, end_s=15.5, text="hi"),
                SpeechSegment(start_s=20.1, end_s=20.4, text="so"),
                SpeechSegment(start_s=20.6, end_s=21.0, text="long"),
            ],
        ),
    )
    lines = render_timeline(document).splitlines()
    timeline = lines[lines.index("") + 1 :]
    assert timeline == [
        '[00:15] said: "hi"',
        "[00:15.8] a man waves",
        "[00:15.9] he turns",
        '[00:20.1] said: "so"',
        '[00:20.6] said: "long"',
    ]
    assert "largest gap 2.0 s" in render_timeline(document)  # 1.961 s, to a tenth
