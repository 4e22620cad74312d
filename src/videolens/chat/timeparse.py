"""Timestamps in text: formatting ``mm:ss``, and time or order anchors in questions.

Anchors understood: a clock time ("at 1:30", "1:02:03", "around 0:45"), a duration ("at 90
seconds", "after 2 minutes"), a range ("between 1:00 and 2:00"), the start or the end ("first",
"at the beginning", "last", "the ending"), and an event ("after the car stops", "before the
title appears") which retrieval resolves to the moment that best matches the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from videolens.timeline.clock import clock_seconds
from videolens.timeline.clock import format_timestamp as format_timestamp

AnchorKind = Literal["at", "after", "before", "between", "start", "end"]


_CLOCK = r"(?:\d{1,2}:)?\d{1,3}:\d{2}(?:\.\d+)?"
_DURATION = r"\d+(?:\.\d+)?\s*(?:hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b"
_TIME = rf"(?:{_CLOCK}|{_DURATION})"
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}

_BETWEEN = re.compile(rf"\bbetween\s+({_TIME})\s+(?:and|-|to)\s+({_TIME})", re.I)
_RANGE = re.compile(rf"\bfrom\s+({_TIME})\s+(?:to|until|-)\s+({_TIME})", re.I)
_RELATIVE_TIME = re.compile(rf"\b(after|before|since|until|past)\s+({_TIME})", re.I)
_AT_TIME = re.compile(rf"(?:\b(?:at|around|near|about|by|@)\s+)?\[?({_TIME})\]?", re.I)
_RELATIVE_EVENT = re.compile(r"\b(after|before|once|following|prior to)\s+(.+?)(?:[?.!,;]|$)", re.I)
_START = re.compile(
    r"\b(first|beginning|begin|start|starts|opening|intro|initially|earliest)\b", re.I
)
_END = re.compile(r"\b(last|end|ending|ends|final|finally|closing|outro|latest)\b", re.I)


def parse_time(text: str) -> float | None:
    """Seconds for ``"1:30"``, ``"1:02:03"``, ``"90 seconds"``, ``"2 min"``; None otherwise."""
    text = text.strip().lower()
    if ":" in text:
        return clock_seconds(text)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]+)", text)
    if not match:
        return None
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)[0]]


@dataclass(frozen=True)
class TimeAnchor:
    """Where in the video a question points.

    ``kind`` is ``at``/``after``/``before``/``between`` (with ``seconds``, ``until_s`` for a
    range) or ``start``/``end``; for an event anchor ("after the car stops") ``seconds`` is None
    and ``event`` holds the words to look for. ``rest`` is the question without the anchor.
    """

    kind: AnchorKind
    seconds: float | None = None
    until_s: float | None = None
    event: str | None = None
    rest: str = ""


def _cut(text: str, match: re.Match[str]) -> str:
    return (text[: match.start()] + " " + text[match.end() :]).strip()


def parse_anchor(question: str) -> TimeAnchor | None:
    """The time or order anchor in ``question``, if any (the first recognised form wins)."""
    for pattern in (_BETWEEN, _RANGE):
        match = pattern.search(question)
        if match:
            low, high = parse_time(match.group(1)), parse_time(match.group(2))
            if low is not None and high is not None:
                low, high = min(low, high), max(low, high)
                return TimeAnchor("between", low, high, rest=_cut(question, match))
    match = _RELATIVE_TIME.search(question)
    if match:
        seconds = parse_time(match.group(2))
        if seconds is not None:
            word = match.group(1).lower()
            kind: AnchorKind = "after" if word in ("after", "since", "past") else "before"
            return TimeAnchor(kind, seconds, rest=_cut(question, match))
    match = _AT_TIME.search(question)
    if match:
        seconds = parse_time(match.group(1))
        if seconds is not None:
            return TimeAnchor("at", seconds, rest=_cut(question, match))
    match = _RELATIVE_EVENT.search(question)
    if match and match.group(2).strip():
        word = match.group(1).lower()
        kind = "before" if word in ("before", "prior to") else "after"
        return TimeAnchor(kind, event=match.group(2).strip(), rest=_cut(question, match))
    if _START.search(question):
        return TimeAnchor("start", rest=question)
    if _END.search(question):
        return TimeAnchor("end", rest=question)
    return None
