"""The stretch of time a question names — "yesterday", "today", "last week", "the past 3 days" —
as the library's date filter (UTC days, as the index keeps its times)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from videolens.library.records import LibraryFilter

_DAYS = re.compile(r"\b(?:last|past) (\d{1,3}) days\b")
_WEEK = re.compile(r"\b(?:last|past|this) week\b")
_YESTERDAY = re.compile(r"\byesterday\b")
_TODAY = re.compile(r"\btoday\b")


@dataclass(frozen=True)
class Period:
    """Whole UTC days from ``since`` to ``until`` (ISO dates, both included), and how an answer
    says it ("yesterday (2026-12-06)")."""

    since: str
    until: str
    said: str


def asked_period(question: str, today: date) -> Period | None:
    """The days ``question`` asks about, if it names some; "last week" is the last 7 days."""
    text = question.lower()
    if _YESTERDAY.search(text):
        day = (today - timedelta(days=1)).isoformat()
        return Period(day, day, f"yesterday ({day})")
    if _TODAY.search(text):
        return Period(today.isoformat(), today.isoformat(), f"today ({today.isoformat()})")
    days = _DAYS.search(text)
    count = int(days.group(1)) if days else 7 if _WEEK.search(text) else 0
    if count <= 0:
        return None
    since = (today - timedelta(days=count - 1)).isoformat()
    return Period(since, today.isoformat(), f"in the last {count} days ({since} to {today})")


def within(chosen: LibraryFilter, period: Period | None) -> LibraryFilter:
    """``chosen`` narrowed to ``period`` (the later start, the earlier end)."""
    if period is None:
        return chosen
    since = max(filter(None, (chosen.since, period.since)))
    until = min(filter(None, (chosen.until, period.until)))
    return replace(chosen, since=since, until=until)
