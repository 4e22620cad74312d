"""``[mm:ss]`` citations in an answer, checked against the moments the session analysed.

A citation is valid when an analysed frame lies within a tolerance of the cited time:
``max(1 s, half the sampling gap around that frame)`` — a frame stands for the stretch of video
around it, and timestamps are shown truncated to the second — or when it falls in a transcribed
speech segment (within 1 s of its ends). Anything else is flagged invalid and must not be shown
as evidence.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from videolens.chat.timeparse import parse_time

_BRACKET = re.compile(r"\[([0-9:.,;\s–-]+)\]")
_CLOCK = re.compile(r"(?:\d{1,2}:)?\d{1,3}:\d{2}")
MIN_TOLERANCE_S = 1.0


@dataclass(frozen=True)
class Citation:
    """One cited time: the frame it matches (if any) and whether it counts as evidence."""

    text: str
    timestamp_s: float
    frame_index: int | None
    valid: bool
    frame_timestamp_s: float | None = None
    kind: str | None = None
    """``"frame"`` (an analysed frame), ``"speech"`` (only a speech segment) or None (invalid)."""
    segment_index: int | None = None
    """The speech segment (its position in the stored track) the time falls in, if any."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_citations(answer: str) -> list[tuple[str, float]]:
    """Every cited time in order, as (the text as written, seconds); ranges give both ends."""
    found: list[tuple[str, float]] = []
    for bracket in _BRACKET.finditer(answer):
        for clock in _CLOCK.finditer(bracket.group(1)):
            seconds = parse_time(clock.group(0))
            if seconds is not None:
                found.append((clock.group(0), seconds))
    return found


class FrameTimes:
    """The analysed frames' times (sorted) for nearest-frame lookups."""

    def __init__(self, frames: Sequence[dict[str, Any]]) -> None:
        ordered = sorted(frames, key=lambda f: float(f["timestamp_s"]))
        self.times = [float(f["timestamp_s"]) for f in ordered]
        self.indexes = [int(f["index"]) for f in ordered]

    def match(self, seconds: float) -> tuple[int, float] | None:
        """(position, tolerance) of the frame nearest ``seconds`` if within tolerance."""
        times = self.times
        if not times:
            return None
        i = bisect.bisect_left(times, seconds)
        near = min(
            (j for j in (i - 1, i) if 0 <= j < len(times)), key=lambda j: abs(times[j] - seconds)
        )
        gaps = [times[j + 1] - times[j] for j in (near - 1, near) if 0 <= j < len(times) - 1]
        tolerance = max(MIN_TOLERANCE_S, max(gaps, default=0.0) / 2)
        # A cited "[01:30]" means somewhere in 90.0–90.99 s: compare with the truncated time too.
        distance = min(abs(times[near] - seconds), abs(int(times[near]) - seconds))
        return (near, tolerance) if distance <= tolerance else None


class SpeechTimes:
    """The transcribed segments' spans, for "which segment was said at this time" lookups."""

    def __init__(self, segments: Sequence[dict[str, Any]]) -> None:
        self.spans = [
            (float(s.get("start_s") or 0.0), float(s.get("end_s") or s.get("start_s") or 0.0), i)
            for i, s in enumerate(segments)
            if str(s.get("text") or "").strip()
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


def check_citations(
    answer: str,
    frames: Sequence[dict[str, Any]],
    speech_segments: Sequence[dict[str, Any]] = (),
) -> list[Citation]:
    """The citations in ``answer``, each matched to the nearest analysed frame, else to the
    speech segment said then, or flagged."""
    times = FrameTimes(frames)
    speech = SpeechTimes(speech_segments)
    citations = []
    for text, seconds in parse_citations(answer):
        hit = times.match(seconds)
        segment = speech.match(seconds)
        if hit is not None:
            position = hit[0]
            citations.append(
                Citation(
                    text,
                    seconds,
                    times.indexes[position],
                    True,
                    times.times[position],
                    "frame",
                    segment,
                )
            )
        elif segment is not None:
            citations.append(Citation(text, seconds, None, True, None, "speech", segment))
        else:
            citations.append(Citation(text, seconds, None, False))
    return citations


def flag_invalid(answer: str, citations: Sequence[Citation]) -> str:
    """``answer`` with every invalid citation marked ``[mm:ss — not an analysed moment]``."""
    invalid = {c.text for c in citations if not c.valid}
    if not invalid:
        return answer

    def mark(match: re.Match[str]) -> str:
        clocks = [c.group(0) for c in _CLOCK.finditer(match.group(1))]
        if clocks and all(c in invalid for c in clocks):
            return f"[{match.group(1)} — not an analysed moment]"
        return match.group(0)

    return _BRACKET.sub(mark, answer)
