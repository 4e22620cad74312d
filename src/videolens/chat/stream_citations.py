"""Wall-clock citations in answers about a live stream, checked against the frames it stored.

A citation is ``[14:05:12]`` (local time in the answer's zone), ``[2026-01-05 14:05:12]``, or a
whole minute ``[14:05]``; a bracket may hold several (``[14:05:12–14:05:20]``). It is valid when
a stored frame of the stream lies in the cited second (minute) or near it: within ``max(1 s,
half the gap to the frame's neighbours)``, at most ``MAX_TOLERANCE_S`` — a frame stands for the
stretch around it, and times are shown truncated to the second. A time without a date is looked
for on each day the answer's range touches; a second that holds two frames means the one the
prompt or the answer showed with it. Anything else is invalid and is not evidence.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from videolens.chat.stream_context import StreamTimeline
from videolens.streams.store import StreamStore

_BRACKET = re.compile(r"\[([0-9:\-–\s,;T]+)\]")
_STAMP = re.compile(
    r"(?:(\d{4}-\d{2}-\d{2})[ T])?(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])"
)
MIN_TOLERANCE_S = 1.0
MAX_TOLERANCE_S = 10.0
# Frames this far around a cited time are read to find its nearest one and their spacing.
SEARCH_S = 60.0


@dataclass(frozen=True)
class StreamCitation:
    """One cited time: the frame it matches (if any) and whether it counts as evidence."""

    text: str
    at: float | None
    valid: bool
    seq: int | None = None
    frame_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Cited:
    text: str
    day: date | None
    seconds: int
    precision: int


def _cited(answer: str) -> list[_Cited | str]:
    """Every cited time in order; a text that names no time of day is returned as it is."""
    found: list[_Cited | str] = []
    for bracket in _BRACKET.finditer(answer):
        for stamp in _STAMP.finditer(bracket.group(1)):
            hour, minute = int(stamp.group(2)), int(stamp.group(3))
            second = int(stamp.group(4) or 0)
            try:
                day = date.fromisoformat(stamp.group(1)) if stamp.group(1) else None
            except ValueError:
                found.append(stamp.group(0))
                continue
            if hour > 23 or minute > 59 or second > 59:
                found.append(stamp.group(0))
                continue
            precision = 1 if stamp.group(4) else 60
            found.append(_Cited(stamp.group(0), day, hour * 3600 + minute * 60 + second, precision))
    return found


def _nearest(
    frames: list[dict[str, Any]], start: float, precision: int, shown: set[float]
) -> tuple[float, dict[str, Any]] | None:
    """(distance, frame) of the frame nearest the cited stretch if within its tolerance; of
    frames equally near (two in one second), the one shown with that time."""
    times = [float(f["at"]) for f in frames]
    best: tuple[float, bool, dict[str, Any]] | None = None
    for i, at in enumerate(times):
        inside = start <= at < start + precision
        distance = 0.0 if inside else min(abs(at - start), abs(at - (start + precision)))
        gaps = [times[j + 1] - times[j] for j in (i - 1, i) if 0 <= j < len(times) - 1]
        tolerance = max(MIN_TOLERANCE_S, min(MAX_TOLERANCE_S, max(gaps, default=0.0) / 2))
        hidden = at not in shown
        if distance <= tolerance and (best is None or (distance, hidden) < best[:2]):
            best = (distance, hidden, frames[i])
    return (best[0], best[2]) if best is not None else None


def check_stream_citations(
    answer: str, timeline: StreamTimeline, store: StreamStore
) -> list[StreamCitation]:
    """The citations in ``answer``, each matched to the nearest frame the stream stored."""
    citations = []
    for cited in _cited(answer):
        if isinstance(cited, str):
            citations.append(StreamCitation(cited, None, False))
            continue
        days = [cited.day] if cited.day is not None else timeline.dates()
        best: tuple[float, float, dict[str, Any]] | None = None
        first_start = None
        for day in days:
            local = datetime.combine(day, time()) + timedelta(seconds=cited.seconds)
            start = timeline.zone.at(local)
            first_start = start if first_start is None else first_start
            frames = store.frames(
                timeline.stream_id, start - SEARCH_S, start + cited.precision + SEARCH_S
            )
            hit = _nearest(frames, start, cited.precision, timeline.shown)
            if hit is not None and (best is None or hit[0] < best[0]):
                best = (hit[0], start, hit[1])
        if best is None:
            citations.append(StreamCitation(cited.text, first_start, False))
        else:
            _, start, frame = best
            citations.append(
                StreamCitation(cited.text, start, True, int(frame["seq"]), float(frame["at"]))
            )
    return citations
