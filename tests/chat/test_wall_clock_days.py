"""Whole days and weeks in wall-clock questions ("the past 3 days", "this week", "last week"),
read in the asker's zone (Europe/Berlin) on a Tuesday morning, across a daylight-saving change,
and the counts that reach before 1970."""

from __future__ import annotations

from datetime import datetime

import pytest

from videolens.chat.wall_clock import InvalidTimeError, parse_wall_clock
from videolens.timeline.clock import resolve_zone

ZONE = resolve_zone("Europe/Berlin")
NOW = ZONE.at(datetime(2026, 3, 10, 8, 0))  # Tuesday 08:00


def midnight(month: int, day: int) -> float:
    return ZONE.at(datetime(2026, month, day))


@pytest.mark.parametrize(
    ("phrase", "since", "until"),
    [
        # The N days before today (Saturday to Monday) and today: see wall_clock's doc.
        ("in the past 3 days", midnight(3, 7), midnight(3, 11)),
        ("over the last day", midnight(3, 9), midnight(3, 11)),
        ("last 2d", midnight(3, 8), midnight(3, 11)),
        ("in the last week", midnight(3, 3), midnight(3, 11)),
        ("over the past 2 weeks", midnight(2, 24), midnight(3, 11)),
        ("this week", midnight(3, 9), midnight(3, 11)),  # since Monday
        ("last week", midnight(3, 2), midnight(3, 9)),  # Monday to Sunday
        ("the previous week", midnight(3, 2), midnight(3, 9)),
        # Fractions of a day, and hours, stay exact spans back from now.
        ("in the last 1.5 days", NOW - 36 * 3600, None),
        ("in the last 24 hours", NOW - 24 * 3600, None),
    ],
)
def test_days_and_weeks(phrase: str, since: float, until: float | None) -> None:
    found = parse_wall_clock(f"what happened {phrase}?", ZONE, NOW)
    assert found is not None and found.rest == "what happened ?", found
    assert (found.since_at, found.until_at, found.focus_at) == (since, until, None)
    assert found.phrase == phrase


def test_whole_days_follow_the_local_midnights_over_a_clock_change() -> None:
    """Berlin moved to summer time on 2026-03-29: three days back from Monday 30 March start at
    Friday's midnight (UTC+1) and today ends at Tuesday's (UTC+2), an hour short of 4 days."""
    now = ZONE.at(datetime(2026, 3, 30, 10, 0))
    found = parse_wall_clock("anything in the past 3 days?", ZONE, now)
    assert found is not None and found.since_at == midnight(3, 27)
    assert found.until_at == midnight(3, 31) and found.until_at - found.since_at == 4 * 86400 - 3600


def test_a_week_on_its_first_and_last_day() -> None:
    monday, sunday = ZONE.at(datetime(2026, 3, 9, 0, 30)), ZONE.at(datetime(2026, 3, 15, 23, 0))
    assert _span("this week", monday) == (midnight(3, 9), midnight(3, 10))
    assert _span("last week", monday) == (midnight(3, 2), midnight(3, 9))
    assert _span("this week", sunday) == (midnight(3, 9), midnight(3, 16))


def _span(phrase: str, now: float) -> tuple[float | None, float | None]:
    found = parse_wall_clock(phrase, ZONE, now)
    assert found is not None
    return found.since_at, found.until_at


def test_words_that_only_look_like_a_week_are_left_alone() -> None:
    for question in (
        "what happened last weekend?",
        "a weekly delivery",
        "the last time a van came",
    ):
        assert parse_wall_clock(question, ZONE, NOW) is None


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("cars in the last 0 days?", "is not a span of time"),
        ("cars in the past 30000 days?", "'in the past 30000 days' reaches before 1970"),
        ("cars in the past 9999 weeks?", "reaches before 1970"),
    ],
)
def test_counts_that_mean_no_days_are_clear_errors(question: str, message: str) -> None:
    with pytest.raises(InvalidTimeError, match=message):
        parse_wall_clock(question, ZONE, NOW)
