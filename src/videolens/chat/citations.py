"""Citations in an answer, checked against the moments its timeline stored.

The clock reads the cited times (``[mm:ss]`` for a session, ``[14:05:12]`` for a live stream:
``timeline.clock``); a ``FrameLookup`` finds the stored frame nearest each. A citation is valid
when a frame lies within a tolerance of the cited stretch — a frame stands for the stretch of
video around it, and times are shown truncated to the second — or when it falls in a transcribed
speech segment (within 1 s of its ends). Anything else is flagged invalid and must not be shown
as evidence.

- A session's frames (``FrameTimes``): tolerance ``max(1 s, half the sampling gap around the
  frame)``.
- A stream's frames (``StoredFrames``, read from its store around the cited time): the same, at
  most ``MAX_TOLERANCE_S``; a second that holds two frames means the one the prompt or the
  answer showed with it (``WallClock.shown``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from videolens.streams.store import StreamStore
from videolens.timeline.clock import CitedTime, Clock, VideoClock
from videolens.timeline.model import Moment, SpeechSegment

MIN_TOLERANCE_S = 1.0
MAX_TOLERANCE_S = 10.0
# Stored frames this far around a cited time are read to find its nearest one and their spacing.
SEARCH_S = 60.0


@dataclass(frozen=True)
class Citation:
    """One cited time: the frame it matches (if any) and whether it counts as evidence.

    ``timestamp_s`` is the cited time on the timeline's clock (video seconds, or Unix seconds
    for a stream; None when the text names no time); ``frame_index`` the matched frame's index
    (a stream frame's ``seq``)."""

    text: str
    timestamp_s: float | None
    frame_index: int | None
    valid: bool
    frame_timestamp_s: float | None = None
    kind: str | None = None
    """``"frame"`` (an analysed frame), ``"speech"`` (only a speech segment) or None (invalid)."""
    segment_index: int | None = None
    """The speech segment (its position in the stored track) the time falls in, if any."""

    def as_dict(self) -> dict[str, Any]:
        """Every field (as the chat history stores it)."""
        return asdict(self)

    def public(self, wall: bool = False) -> dict[str, Any]:
        """The public JSON: a session's citation gives its time in seconds and its frame; a
        stream's (``wall``) the time as written, the Unix time cited, the frame's ``seq`` and
        time."""
        if wall:
            return {
                "text": self.text,
                "at": self.timestamp_s,
                "valid": self.valid,
                "seq": self.frame_index,
                "frame_at": self.frame_timestamp_s,
            }
        return {
            "timestamp_s": self.timestamp_s,
            "frame_index": self.frame_index,
            "valid": self.valid,
            "kind": self.kind,
            "segment_index": self.segment_index,
        }


class FrameLookup(Protocol):
    """The stored frames a citation may match."""

    def match(self, start: float, precision: int) -> tuple[float, int, float] | None:
        """(distance, frame index, frame time) of the frame nearest the cited stretch
        ``start``…``start + precision`` if within its tolerance."""
        ...


class FrameTimes:
    """A session's analysed frames' times (sorted) for nearest-frame lookups."""

    def __init__(self, frames: Sequence[Moment]) -> None:
        ordered = sorted(frames, key=lambda f: f.timestamp_s or 0.0)
        self.times = [f.timestamp_s or 0.0 for f in ordered]
        self.indexes = [f.index or 0 for f in ordered]

    def match(self, start: float, precision: int = 1) -> tuple[float, int, float] | None:
        """The frame nearest ``start`` if within tolerance (``precision`` is always 1 s)."""
        times = self.times
        if not times:
            return None
        i = bisect.bisect_left(times, start)
        near = min(
            (j for j in (i - 1, i) if 0 <= j < len(times)), key=lambda j: abs(times[j] - start)
        )
        gaps = [times[j + 1] - times[j] for j in (near - 1, near) if 0 <= j < len(times) - 1]
        tolerance = max(MIN_TOLERANCE_S, max(gaps, default=0.0) / 2)
        # A cited "[01:30]" means somewhere in 90.0–90.99 s: compare with the truncated time too.
        distance = min(abs(times[near] - start), abs(int(times[near]) - start))
        return (distance, self.indexes[near], times[near]) if distance <= tolerance else None


class StoredFrames:
    """A stream's frames, read from its store around each cited time."""

    def __init__(self, store: StreamStore, stream_id: str, shown: set[float]) -> None:
        self.store, self.stream_id, self.shown = store, stream_id, shown

    def match(self, start: float, precision: int) -> tuple[float, int, float] | None:
        """Of frames equally near (two in one second), the one shown with that time."""
        frames = self.store.moments(self.stream_id, start - SEARCH_S, start + precision + SEARCH_S)
        times = [f.at or 0.0 for f in frames]
        best: tuple[float, bool, int] | None = None
        for i, at in enumerate(times):
            inside = start <= at < start + precision
            distance = 0.0 if inside else min(abs(at - start), abs(at - (start + precision)))
            gaps = [times[j + 1] - times[j] for j in (i - 1, i) if 0 <= j < len(times) - 1]
            tolerance = max(MIN_TOLERANCE_S, min(MAX_TOLERANCE_S, max(gaps, default=0.0) / 2))
            hidden = at not in self.shown
            if distance <= tolerance and (best is None or (distance, hidden) < best[:2]):
                best = (distance, hidden, i)
        if best is None:
            return None
        return best[0], frames[best[2]].seq or 0, times[best[2]]


class SpeechTimes:
    """The transcribed segments' spans, for "which segment was said at this time" lookups."""

    def __init__(self, segments: Sequence[SpeechSegment]) -> None:
        self.spans = [
            (s.start_s, s.end_s or s.start_s, i) for i, s in enumerate(segments) if s.text.strip()
        ]

    def match(self, seconds: float) -> int | None:
        """The segment said at ``seconds`` (cited times are truncated: ``[00:03]`` = 3–3.99 s)."""
        best = None
        for start, end, i in self.spans:
            if start - MIN_TOLERANCE_S <= seconds and seconds <= end + MIN_TOLERANCE_S:
                inside = start <= seconds + 1 and seconds <= end
                distance = 0.0 if inside else min(abs(start - seconds), abs(seconds - end))
                if best is None or distance < best[0]:
                    best = (distance, i)
        return best[1] if best else None


def match_citations(
    cited: Sequence[CitedTime], frames: FrameLookup, speech: SpeechTimes | None = None
) -> list[Citation]:
    """Each cited time matched to the nearest stored frame (over its candidate starts), else to
    the speech segment said then, else flagged."""
    citations = []
    for time in cited:
        best: tuple[float, float, int, float] | None = None
        for start in time.starts:
            hit = frames.match(start, time.precision)
            if hit is not None and (best is None or hit[0] < best[0]):
                best = (hit[0], start, hit[1], hit[2])
        first = time.starts[0] if time.starts else None
        segment = speech.match(first) if speech is not None and first is not None else None
        if best is not None:
            _, start, index, at = best
            citations.append(Citation(time.text, start, index, True, at, "frame", segment))
        elif segment is not None:
            citations.append(Citation(time.text, first, None, True, None, "speech", segment))
        else:
            citations.append(Citation(time.text, first, None, False))
    return citations


def check_citations(
    answer: str,
    frames: Sequence[Moment],
    speech_segments: Sequence[SpeechSegment] = (),
) -> list[Citation]:
    """The ``[mm:ss]`` citations in ``answer`` checked against a session's frames and speech."""
    cited = VideoClock().cited(answer)
    return match_citations(cited, FrameTimes(frames), SpeechTimes(speech_segments))


def flag_invalid(answer: str, citations: Sequence[Citation], clock: Clock | None = None) -> str:
    """``answer`` with every invalid citation marked ``[mm:ss — not an analysed moment]``."""
    invalid = {c.text for c in citations if not c.valid}
    if not invalid:
        return answer
    clock = clock or VideoClock()

    def mark(match: re.Match[str]) -> str:
        times = [c.text for c in clock.cited(match.group(0))]
        if times and all(t in invalid for t in times):
            return f"[{match.group(1)} — not an analysed moment]"
        return match.group(0)

    return clock.brackets().sub(mark, answer)
