"""Wall-clock time expressions in questions about a live stream, read in a ``Zone`` at ``now``.

Understood (case-insensitive; the first form found wins):
- a span up to now: "in the last 10 minutes", "over the past hour", "last 2h", "now";
- a moment: "at 14:05" (that minute), "at 14:05:12", "at 2:05 pm", "around 9am", "at noon",
  "10 minutes ago";
- from or up to a moment: "since 14:00", "after 9", "before 14:30", "until noon";
- a range: "between 14:00 and 14:10", "from 9 to 11", "14:00-14:10";
- a day, alone or with any of the above: "today", "yesterday", "on 2026-01-05", "this
  morning", "yesterday afternoon", "last night" ("yesterday at 9": 09:00-10:00 yesterday);
- whole days and weeks: "the past 3 days", "in the last 2 weeks", "over the past week" (those
  days before today, and today), "this week" (since Monday), "last week" (the Monday to Sunday
  before this week).

"The past N days" (and N weeks, N*7 days) are the N whole days before today plus today so far,
from midnight in the asker's zone: asked on a Tuesday, "the past 3 days" are Saturday, Sunday,
Monday and Tuesday until now. Of the meanings a person may have in mind (the last N*24 hours,
today and the N-1 days before it, the N days before today) this is the one that holds all the
others, so no moment any of them covers is left out, and days are what a person counts in; the
answer names the dates it read. Only a fractional count ("1.5 days", "half a day") is an exact
span back from now, as hours and minutes are. Weeks start on Monday (ISO 8601).

A clock time without a day is its latest occurrence that is not in the future: a stream has no
future. A bare hour ("at 9") counts only after a preposition and at the end of the phrase, so "at
3 cars" is not a time. Something written like a clock time that is none ("25:00", "14:7")
raises ``InvalidTimeError``: guessing would answer about another moment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from videolens.timeline.clock import InvalidTimeError, Zone

__all__ = ["InvalidTimeError", "WallRange", "parse_instant", "parse_wall_clock"]

_WORD_AMOUNTS = {
    "a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0,
    "six": 6.0, "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "fifteen": 15.0,
    "twenty": 20.0, "thirty": 30.0, "half": 0.5, "half an": 0.5, "half a": 0.5,
}  # fmt: skip
_DAY_S = 86400.0
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": _DAY_S, "w": 7 * _DAY_S}
_AMOUNT = r"(\d+(?:\.\d+)?|half an|half a|" + "|".join(sorted(_WORD_AMOUNTS, key=len)[::-1]) + ")"
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|[smhdw])\b"
_IN = r"(?:(?:in|during|over|within|for)\s+)?"
_LAST = re.compile(
    rf"\b{_IN}(?:the\s+)?(?:last|past|previous)\s+"
    rf"(?:{_AMOUNT}\s*)?{_UNIT}",
    re.I,
)
_AGO = re.compile(rf"\b{_AMOUNT}\s*{_UNIT}\s+ago\b", re.I)
# "last week" and "(the) previous week" are the calendar week before this one; "the last week"
# is the past 7 days, as "the past week" is (_LAST).
_WEEK = re.compile(
    rf"\b{_IN}(?:the\s+)?(this|previous)\s+week\b|(?<!\bthe\s)\b{_IN}(last)\s+week\b", re.I
)
_NOW = re.compile(r"\b(?:right now|just now|now|currently|at the moment|at present)\b", re.I)

# A time of day; a bare hour only where _HOUR_END follows (the end of the phrase or a range).
_TIME = (
    r"(?:\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\b\.?)?|\d{1,2}\s*[ap]\.?m\b\.?"
    r"|\d{1,2}\s*o'?clock\b|noon\b|midday\b|midnight\b)"
)
_HOUR_END = r"(?=\s*(?:$|[?.!,;)]|-|–|and\b|to\b|until\b|till\b))"
_T = rf"({_TIME}|\d{{1,2}}{_HOUR_END})"
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+{_T}\s*(?:and|to|until|till|-|–)\s*{_T}"
    r"|(?<![\w:])(\d{1,2}:\d{2}(?::\d{2})?)\s*[-–]\s*(\d{1,2}:\d{2}(?::\d{2})?)(?![\w:])",
    re.I,
)
_FROM = re.compile(rf"\b(since|after|from|before|until|till|by)\s+{_T}", re.I)
_AT = re.compile(rf"\b(at|around|about|near|approximately)\s+{_T}|(?<![\w:])({_TIME})", re.I)
_CLOCKLIKE = re.compile(r"(?<![\w:.])\d+(?::\d+)+(?![\w:])")
_PREPOSITION = re.compile(
    r"\b(?:at|around|about|near|since|after|from|before|until|till|by|between|and|to)\s*$", re.I
)
_DAY = re.compile(
    r"\b(?:on\s+)?(\d{4}-\d{2}-\d{2})\b|\b(today|yesterday|tonight)(?:\s+(morning|afternoon|"
    r"evening))?\b|\bthis\s+(morning|afternoon|evening)\b|\b(last night)\b",
    re.I,
)
_PARTS = {"morning": (6, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (18, 30)}
_NOW_SPAN_S = 120.0
# Times a stream can have: from the Unix epoch to the year 9000 (datetime ends at 9999).
EARLIEST_AT, LATEST_AT = 0.0, 221_845_392_000.0
_AT_SECOND_S = 10.0
_EPOCH_DAY = date(1970, 1, 2)  # the first whole day after the epoch in every zone


@dataclass(frozen=True)
class WallRange:
    """Where in wall-clock time a question points: ``since_at <= at < until_at`` (None: open),
    ``focus_at`` the moment named, if one was; ``phrase`` as written, ``rest`` the question
    without it."""

    since_at: float | None
    until_at: float | None
    focus_at: float | None
    phrase: str
    rest: str


@dataclass(frozen=True)
class _Clock:
    seconds: int
    precision: int  # 1 (seconds given), 60 (minutes), 3600 (an hour)


def _amount(text: str | None) -> float:
    if not text:
        return 1.0
    word = " ".join(text.lower().split())
    return _WORD_AMOUNTS[word] if word in _WORD_AMOUNTS else float(word)


def _duration(amount: str | None, unit: str) -> float:
    seconds = _amount(amount) * _UNIT_SECONDS[unit[0].lower()]
    if seconds <= 0:
        raise InvalidTimeError(f"{amount} {unit} is not a span of time: give more than 0")
    return seconds


def _not_a_time(token: str) -> InvalidTimeError:
    return InvalidTimeError(
        f"{token.strip()!r} is not a time of day: write HH:MM or HH:MM:SS (24-hour), or 2:05 pm"
    )


def _clock(token: str) -> _Clock:
    """The time of day a token names."""
    text = " ".join(token.lower().replace(".", "").split())
    if text in ("noon", "midday"):
        return _Clock(12 * 3600, 60)
    if text == "midnight":
        return _Clock(0, 60)
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(?:([ap])m|o'?clock)?", text)
    if not match:
        raise _not_a_time(token)
    hour, minute, second = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    if match.group(4):
        if not 1 <= hour <= 12:
            raise _not_a_time(token)
        hour = hour % 12 + (12 if match.group(4) == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _not_a_time(token)
    precision = 1 if match.group(3) else 60 if match.group(2) else 3600
    return _Clock(hour * 3600 + minute * 60 + second, precision)


def _check_clocks(text: str) -> None:
    """Fail on anything written like a clock time that is none ("25:00", "at 14:7")."""
    for match in _CLOCKLIKE.finditer(text):
        token = match.group(0)
        if re.fullmatch(r"\d{1,2}:\d{2}(?::\d{2})?", token):
            _clock(token)  # raises for "25:00" or "14:75"
        elif _PREPOSITION.search(text[: match.start()]):
            raise _not_a_time(token)  # "at 14:7", "since 1:2:3:4"; a bare "16:9" is no time


class _Reader:
    """Resolves times of day to Unix times for one question."""

    def __init__(self, zone: Zone, now: float, day: date | None) -> None:
        self.zone, self.now, self.day = zone, now, day

    def on(self, day: date, seconds: float) -> float:
        return self.zone.at(datetime.combine(day, time()) + timedelta(seconds=seconds))

    def latest(self, clock: _Clock) -> float:
        """The clock time on the given day, else its latest occurrence not after now."""
        if self.day is not None:
            return self.on(self.day, clock.seconds)
        today = self.today()
        at = self.on(today, clock.seconds)
        return at if at <= self.now else self.on(today - timedelta(days=1), clock.seconds)

    def today(self) -> date:
        return self.zone.local(self.now).date()

    def days_back(self, count: int, phrase: str) -> tuple[float, float]:
        """The ``count`` whole days before today, and today."""
        today = self.today()
        if count > (today - _EPOCH_DAY).days:
            raise InvalidTimeError(f"{phrase!r} reaches before 1970: no stream has it")
        return self.on(today - timedelta(days=count), 0), self.on(today + timedelta(days=1), 0)

    def day_span(self, day: date, part: str | None) -> tuple[float, float]:
        low, high = _PARTS[part] if part else (0, 24)
        return self.on(day, low * 3600), self.on(day, high * 3600)


def _between(m: re.Match[str], r: _Reader) -> tuple[float | None, float | None, float | None]:
    first, second = _clock(m.group(1) or m.group(3)), _clock(m.group(2) or m.group(4))
    since = r.latest(first)
    start_day = r.zone.local(since).date()
    until = r.on(start_day, second.seconds + (1 if second.precision == 1 else 0))
    if second.seconds <= first.seconds:  # "between 23:00 and 01:00": over midnight
        until = r.on(start_day + timedelta(days=1), second.seconds)
    return since, until, None


def _last(m: re.Match[str], r: _Reader) -> tuple[float | None, float | None, float | None]:
    span = _duration(m.group(1), m.group(2))
    days = span / _DAY_S
    if m.group(2)[0].lower() in "dw" and days.is_integer():  # whole days: see the module's doc
        return (*r.days_back(int(days), m.group(0).strip()), None)
    return r.now - span, None, None


def _week(m: re.Match[str], r: _Reader) -> tuple[float | None, float | None, float | None]:
    today = r.today()
    monday = today - timedelta(days=today.weekday())
    if (m.group(1) or m.group(2)).lower() == "this":
        return r.on(monday, 0), r.on(today + timedelta(days=1), 0), None
    return r.on(monday - timedelta(days=7), 0), r.on(monday, 0), None


def _ago(m: re.Match[str], r: _Reader) -> tuple[float | None, float | None, float | None]:
    span = _duration(m.group(1), m.group(2))
    focus = r.now - span
    near = max(30.0, span * 0.1)  # "2 hours ago" is vaguer than "5 minutes ago"
    return focus - near, focus + near, focus


def _from(m: re.Match[str], r: _Reader) -> tuple[float | None, float | None, float | None]:
    word, clock = m.group(1).lower(), _clock(m.group(2))
    if word in ("since", "after", "from"):
        return r.latest(clock), None, None
    # "before 14:30" at 14:10 means today until now, not since yesterday's 14:30.
    at = r.on(r.day or r.today(), clock.seconds)
    return None, at + (0 if word == "before" else clock.precision), None


def _at(m: re.Match[str], r: _Reader) -> tuple[float | None, float | None, float | None]:
    word = (m.group(1) or "at").lower()
    clock = _clock(m.group(2) or m.group(3))
    at = r.latest(clock)
    if clock.precision == 1:
        near = _AT_SECOND_S if word == "at" else 60.0
        return at - near, at + near + 1, at
    if word == "at":
        return at, at + clock.precision, at if clock.precision == 60 else None
    return at - 300, at + clock.precision + 300, at


def _now(_: re.Match[str], r: _Reader) -> tuple[float | None, float | None, float | None]:
    return r.now - _NOW_SPAN_S, None, r.now


_Form = Callable[[re.Match[str], _Reader], tuple[float | None, float | None, float | None]]
_FORMS: tuple[tuple[re.Pattern[str], _Form], ...] = (
    (_BETWEEN, _between), (_WEEK, _week), (_LAST, _last), (_AGO, _ago), (_FROM, _from),
    (_AT, _at), (_NOW, _now),
)  # fmt: skip


def _cut(text: str, match: re.Match[str]) -> str:
    return " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def _day(
    question: str, zone: Zone, now: float
) -> tuple[date | None, str | None, re.Match[str] | None]:
    match = _DAY.search(question)
    if not match:
        return None, None, None
    today = zone.local(now).date()
    if match.group(1):
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError as err:
            raise InvalidTimeError(f"{match.group(1)!r} is not a date: write YYYY-MM-DD") from err
        if not 1970 <= day.year < 9000:
            raise InvalidTimeError(f"{match.group(1)!r} is before 1970 or too far ahead")
        return day, None, match
    if match.group(5):  # last night: from yesterday evening until this morning
        return today - timedelta(days=1), "night", match
    word = (match.group(2) or "today").lower()
    part = (match.group(3) or match.group(4) or ("evening" if word == "tonight" else "")).lower()
    return today - timedelta(days=1 if word == "yesterday" else 0), part or None, match


def _within_reason(found: WallRange) -> WallRange:
    for at in (found.since_at, found.until_at, found.focus_at):
        if at is not None and not EARLIEST_AT <= at <= LATEST_AT:
            raise InvalidTimeError(
                f"{found.phrase!r} is before 1970 or too far ahead: no stream has it"
            )
    return found


def parse_wall_clock(question: str, zone: Zone, now: float) -> WallRange | None:
    """The wall-clock range ``question`` names, or None when it names none."""
    found = _parse(question, zone, now)
    return _within_reason(found) if found is not None else None


def _parse(question: str, zone: Zone, now: float) -> WallRange | None:
    _check_clocks(question)
    day, part, day_match = _day(question, zone, now)
    text = _cut(question, day_match) if day_match else question
    reader = _Reader(zone, now, day)
    for pattern, form in _FORMS:
        match = pattern.search(text)
        if match:
            since, until, focus = form(match, reader)
            phrase = " ".join(filter(None, [match.group(0), day_match and day_match.group(0)]))
            return WallRange(since, until, focus, phrase.strip(), _cut(text, match))
    if day is None or day_match is None:
        return None
    since, until = reader.day_span(day, part)
    return WallRange(since, until, None, day_match.group(0), text)


def parse_instant(value: str | None, zone: Zone, now: float) -> float | None:
    """A query's ``since``/``until``: Unix seconds, ISO 8601 (without a zone: in ``zone``), or a
    local time ("14:05", "yesterday 9:00", "10 minutes ago"): the moment it starts."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return _instant(float(value), value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        return _instant(moment.timestamp() if moment.tzinfo else zone.at(moment), value)
    found = parse_wall_clock(_with_at(value), zone, now)
    if found is None or found.rest.strip(" ?.!,"):
        raise InvalidTimeError(
            f"{value!r} is not a time: use Unix seconds, ISO 8601, or a local time such as "
            "14:05, 'yesterday 9:00' or '10 minutes ago'"
        )
    return found.focus_at if found.focus_at is not None else found.since_at


def _instant(at: float, value: str) -> float:
    if not EARLIEST_AT <= at <= LATEST_AT:  # also NaN
        raise InvalidTimeError(f"{value!r} is before 1970 or too far ahead: no stream has it")
    return at


def _with_at(value: str) -> str:
    """ "yesterday 9" reads as "yesterday at 9": a bare hour needs a preposition."""
    return re.sub(r"(?<![\w:])(\d{1,2})$", r"at \1", value)
