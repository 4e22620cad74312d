"""The stretch of time a library question names ("yesterday", "the past 3 days", "last week",
"since 9") as the index's date filter.

The question is read by the stream chat's wall-clock parser (``parse_wall_clock``: the one
place that says what such phrases mean), in the asker's zone, UTC unless they give theirs: a
library mixes cameras and uploads from anywhere, and its index keeps UTC times. The range it
reads becomes the UTC ISO bounds ``LibraryFilter`` compares ``happened_at`` with: a whole UTC
day as its date, else the second (``2026-03-09T23:00:00``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from videolens.chat.wall_clock import WallRange, parse_wall_clock
from videolens.library.records import LibraryFilter
from videolens.timeline.clock import Zone

UTC = Zone("UTC", timezone.utc)
# "the past 3 days" reads "in the past 3 days" after "What the cameras saw" ("last week",
# "the previous week" and "last night" name their days as they are).
_SPAN_BACK = re.compile(
    r"^(?!(?:the\s+)?previous\s+week\b|last\s+(?:week|night)\b)(?:the\s+)?(last|past|previous)\s+",
    re.I,
)


@dataclass(frozen=True)
class Period:
    """``since``/``until`` as ``LibraryFilter`` takes them (both included, None: open), how an
    answer says the period ("yesterday (2026-12-06)"), and the question without it."""

    since: str | None
    until: str | None
    said: str
    rest: str


def asked_period(question: str, zone: Zone, now: float) -> Period | None:
    """The period ``question`` names, read in ``zone`` at ``now``, if it names one."""
    found = parse_wall_clock(question, zone, now)
    if found is None:
        return None
    since = _utc_since(found.since_at) if found.since_at is not None else None
    until = _utc_until(found.until_at) if found.until_at is not None else None
    return Period(since, until, _said(found, zone), found.rest)


def within(chosen: LibraryFilter, period: Period | None) -> LibraryFilter:
    """``chosen`` narrowed to ``period`` (the later start, the earlier end)."""
    if period is None:
        return chosen
    since = max(filter(None, (chosen.since, period.since)), default=None)
    # An "until" takes in all it names ("2026-03-09" the whole day): compared as the index does.
    until = min(filter(None, (chosen.until, period.until)), key=lambda u: u + "~", default=None)
    return replace(chosen, since=since, until=until)


def _utc_since(at: float) -> str:
    moment = datetime.fromtimestamp(math.floor(at), timezone.utc).replace(tzinfo=None)
    return moment.date().isoformat() if moment.time() == time() else moment.isoformat()


def _utc_until(at: float) -> str:
    """The last second before ``at`` (whose fractions the index's "until" takes in too)."""
    moment = datetime.fromtimestamp(math.ceil(at) - 1, timezone.utc).replace(tzinfo=None)
    if (moment + timedelta(seconds=1)).time() == time():
        return moment.date().isoformat()
    return moment.isoformat()


def _said(found: WallRange, zone: Zone) -> str:
    """``yesterday (2026-03-09)``, ``in the past 3 days (2026-03-07 to 2026-03-10)``,
    ``since 9 (since 2026-03-10 09:00:00, UTC+00:00)``."""
    phrase = _SPAN_BACK.sub(lambda m: f"in the {m.group(1).lower()} ", found.phrase)
    return f"{phrase} ({_dates(found, zone)})"


def _dates(found: WallRange, zone: Zone) -> str:
    since, until = found.since_at, found.until_at
    days = _whole_days(since, until, zone)
    if days is not None:
        first, last = days
        return first.isoformat() if first == last else f"{first} to {last}"
    parts = []
    if since is not None:
        parts.append(f"{'from' if until is not None else 'since'} {zone.clock(since, True)}")
    if until is not None:
        parts.append(f"{'to' if since is not None else 'until'} {zone.clock(until, True)}")
    return " ".join(parts) + f", {zone.offset(since if since is not None else until or 0.0)}"


def _whole_days(since: float | None, until: float | None, zone: Zone) -> tuple[date, date] | None:
    """The first and last day when ``since`` to ``until`` are whole days in ``zone``."""
    if since is None or until is None:
        return None
    first, end = zone.local(since), zone.local(until)
    if first.time() != time() or end.time() != time():
        return None
    return first.date(), end.date() - timedelta(days=1)
