"""Long audio cut into ranges: planning, cutting in pauses, and joining without seams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from speech_clips import RATE, SpeechClip, make_clip, word_error_rate, words
from videolens.speech import (
    SpeechRange,
    SpeechSegment,
    WhisperTranscriber,
    audio_track,
    merge_segments,
    plan_speech_ranges,
    speech_cut_s,
    transcribe_range,
)
from videolens.speech.ranges import _quietest

LINES = [
    (3.0, "my name is robert and I live in a small house"),
    (18.0, "the children played football in the park after school"),
    (25.0, "we will meet again at the station tomorrow morning"),
    (33.0, "thank you for listening to this short story"),
]


@pytest.fixture(scope="module")
def long_clip(speech_dir: Path) -> SpeechClip:
    """40 s; the nominal boundary at 20 s falls inside the second line (18.0 - ~21.1 s)."""
    return make_clip(speech_dir / "long.mp4", 40.0, LINES)


def test_plans_cover_the_track_with_equal_ranges() -> None:
    assert plan_speech_ranges(0.0, 300) == []
    assert plan_speech_ranges(100.0, 300) == [SpeechRange(0.0, 100.0)]
    ranges = plan_speech_ranges(650.0, 300)
    assert [(r.start_s, r.end_s) for r in ranges] == [
        (0.0, 216.667), (216.667, 433.333), (433.333, 650.0),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="range_s"):
        plan_speech_ranges(100.0, 5)


def test_a_boundary_inside_speech_moves_into_a_pause(long_clip: SpeechClip) -> None:
    _, start, end = long_clip.speech[1]
    assert start < 20.0 < end, "the test needs the nominal boundary inside speech"
    cut = speech_cut_s(long_clip.path, 20.0)
    assert abs(cut - 20.0) <= 5.0
    for _, first, last in long_clip.speech:
        assert not first - 0.05 < cut < last + 0.05, f"cut {cut} is inside speech"
    assert speech_cut_s(long_clip.path, 20.0) == cut  # the neighbour computes the same


def test_two_ranges_lose_and_duplicate_nothing(
    long_clip: SpeechClip, whisper: WhisperTranscriber
) -> None:
    duration = audio_track(long_clip.path).duration_s
    ranges = plan_speech_ranges(duration, 20.0)
    assert len(ranges) == 2 and ranges[0].end_s == pytest.approx(20.0, abs=0.05)
    progress: list[list[float]] = []
    parts = []
    for planned in ranges:
        seen: list[float] = []
        parts.append(
            transcribe_range(
                long_clip.path, planned.start_s, planned.end_s, whisper, seen.append,
                duration_s=duration,
            )
        )  # fmt: skip
        progress.append(seen)
    merged = merge_segments(parts)
    heard = " ".join(s.text for s in merged)
    assert word_error_rate(long_clip.text, heard) <= 0.3, heard
    assert abs(len(words(heard)) - len(words(long_clip.text))) <= 3, heard
    # Every placed line is heard once, starting near where it was placed.
    for _, start, _ in long_clip.speech:
        assert sum(abs(s.start_s - start) <= 0.5 for s in merged) == 1, merged
    # The line across the nominal boundary comes back whole, in one piece (cutting the audio at
    # 20.0 s instead loses "after school" and splits the line in two).
    line, start, end = long_clip.speech[1]
    (crossing,) = [s for s in merged if s.start_s < end and s.end_s > start]
    assert word_error_rate(line, crossing.text) <= 0.12, crossing
    cut = speech_cut_s(long_clip.path, ranges[0].end_s)
    assert all(s.start_s < cut for s in parts[0]) and all(s.start_s >= cut for s in parts[1])
    for seen in progress:
        assert seen == sorted(seen) and len(seen) >= 2
    assert progress[0][-1] == pytest.approx(cut) and progress[1][-1] == pytest.approx(duration)


def test_one_range_over_everything_matches(
    long_clip: SpeechClip, whisper: WhisperTranscriber
) -> None:
    segments = transcribe_range(long_clip.path, 0.0, 40.0, whisper)
    heard = " ".join(s.text for s in segments)
    assert word_error_rate(long_clip.text, heard) <= 0.3, heard


def test_merge_orders_and_drops_repeats() -> None:
    a = SpeechSegment(1.0, 2.0, "one")
    b = SpeechSegment(5.0, 6.0, "two")
    c = SpeechSegment(7.0, 8.0, " ")
    assert merge_segments([[b], [a], [b, c]]) == [a, b]


def test_without_a_pause_the_cut_is_the_quietest_moment() -> None:
    window = np.full(4 * RATE, 0.3, dtype=np.float32)
    window[int(2.6 * RATE) : int(2.7 * RATE)] = 0.01
    assert 2.6 <= _quietest(window, 2.0) <= 2.7


def test_a_bad_range_is_refused(long_clip: SpeechClip, whisper: WhisperTranscriber) -> None:
    with pytest.raises(ValueError, match="range"):
        transcribe_range(long_clip.path, 10.0, 5.0, whisper)
