"""Clocks: how the moments of a timeline are written, and read back from the citations of an
answer. A session runs on a ``VideoClock`` (seconds from the start, cited ``[mm:ss]``); a live
stream on a ``WallClock`` (Unix seconds shown as local wall-clock time in a ``Zone``, cited
``[14:05:12]``, with the date when the range spans days or is not today's).

A ``Zone`` is an IANA zone (``Europe/Berlin``), UTC, a fixed offset (``+05:30``), or the server's
local zone. Questions say "at 14:05" in the asker's zone, and answers cite ``[14:05:12]`` in it:
the API takes the client's zone per request, the CLI a ``--tz`` option, and otherwise the
``time_zone`` setting or the server's own local zone applies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from videolens.errors import VideoLensError

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)
ZONE_HINT = "use an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00"
# Citations: a bracket holding one or more times (``[01:30]``, ``[14:05:12–14:05:20]``).
_VIDEO_BRACKET = re.compile(r"\[([0-9:.,;\s–-]+)\]")
_VIDEO_TIME = re.compile(r"(?:\d{1,2}:)?\d{1,3}:\d{2}(?:\.\d{1,3})?")
_WALL_BRACKET = re.compile(r"\[([0-9:\-–\s,;T]+)\]")
_WALL_TIME = re.compile(
    r"(?:(\d{4}-\d{2}-\d{2})[ T])?(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])"
)


class InvalidTimeError(VideoLensError):
    """A time in a question or a query does not parse (the message says how to write it)."""


class UnknownTimeZoneError(InvalidTimeError):
    """The time zone named is none this machine knows."""


def format_timestamp(seconds: float, decimals: int = 0) -> str:
    """``mm:ss`` (or ``h:mm:ss`` past an hour), seconds truncated as players show them: the
    stretch that holds the time, as citations read it (``01:30`` is 90.0–90.99 s). With
    ``decimals`` the fraction is truncated alike (``01:30.9`` for 90.96 s)."""
    scale = 10**decimals
    # Rounded to a millionth first, so that 15.8 s is not 15.79999… and shown as 15.7.
    ticks = max(0, int(round(seconds * scale, 6)))
    total, fraction = divmod(ticks, scale)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    shown = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    return f"{shown}.{fraction:0{decimals}d}" if decimals else shown


def clock_seconds(text: str) -> float | None:
    """Seconds for ``"1:30"`` or ``"1:02:03.5"``; None when it is no such time."""
    try:
        parts = [float(p) for p in text.strip().split(":")]
    except ValueError:
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


@dataclass(frozen=True)
class CitedTime:
    """One time cited in an answer: as written, and where the stretch it names may start on
    the clock (none: it names no time; several: a time of day on each day the range touches),
    ``precision`` seconds long."""

    text: str
    starts: tuple[float, ...]
    precision: int = 1


class Clock(Protocol):
    """How a timeline's times are shown and read back."""

    def format(self, at: float) -> str:
        """The time as citations write it, without brackets."""
        ...

    def stamp(self, at: float) -> str:
        """A citation of the moment at ``at``: ``[01:30]``, ``[14:05:12]``."""
        ...

    def cited(self, answer: str) -> list[CitedTime]:
        """Every time cited in ``answer``, in order (a range gives both ends)."""
        ...

    def brackets(self) -> re.Pattern[str]:
        """A bracket that holds citations (group 1: its inside)."""
        ...


@dataclass(frozen=True)
class VideoClock:
    """Video time: seconds from the start, shown ``mm:ss`` (``h:mm:ss`` past an hour)."""

    def format(self, at: float) -> str:
        """``01:30``."""
        return format_timestamp(at)

    def stamp(self, at: float) -> str:
        """``[01:30]``."""
        return f"[{format_timestamp(at)}]"

    def brackets(self) -> re.Pattern[str]:
        """``[01:30]``, ``[01:30–01:45]``."""
        return _VIDEO_BRACKET

    def cited(self, answer: str) -> list[CitedTime]:
        """``[01:30]``-style citations, in seconds from the start."""
        found = []
        for bracket in _VIDEO_BRACKET.finditer(answer):
            for written in _VIDEO_TIME.finditer(bracket.group(1)):
                seconds = clock_seconds(written.group(0))
                if seconds is not None:
                    found.append(CitedTime(written.group(0), (seconds,)))
        return found


@dataclass(frozen=True)
class Zone:
    """A time zone for wall-clock times; ``tz`` None means the server's local zone (the C
    library applies its daylight-saving rules to each moment)."""

    name: str
    tz: tzinfo | None = None

    def local(self, at: float) -> datetime:
        """The naive local date and time of the Unix time ``at``."""
        if self.tz is None:
            return datetime.fromtimestamp(at)
        return datetime.fromtimestamp(at, self.tz).replace(tzinfo=None)

    def at(self, local: datetime) -> float:
        """The Unix time of a naive local date and time (the earlier one in a repeated hour)."""
        if self.tz is None:
            return local.timestamp()
        return local.replace(tzinfo=self.tz).timestamp()

    def offset(self, at: float) -> str:
        """``UTC+01:00`` at the moment ``at``."""
        if self.tz is None:
            delta = datetime.fromtimestamp(at).astimezone().utcoffset() or timedelta(0)
        else:
            delta = datetime.fromtimestamp(at, self.tz).utcoffset() or timedelta(0)
        minutes = int(delta.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    def clock(self, at: float, with_date: bool = False) -> str:
        """``14:05:12`` (``2026-01-05 14:05:12`` with the date), seconds truncated."""
        shown = self.local(at)
        return shown.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")

    def describe(self, at: float) -> str:
        """``Europe/Berlin, UTC+01:00``: the zone's name and its offset at ``at``."""
        return f"{self.name}, {self.offset(at)}"


def local_zone() -> Zone:
    """The server's local zone, named by its abbreviation now (``CET``, ``UTC``)."""
    return Zone(datetime.now().astimezone().tzname() or "local")


def resolve_zone(name: str | None, default: str | None = None) -> Zone:
    """The zone ``name`` (a client's), else ``default`` (the setting), else the server's local.

    Accepts IANA names, ``UTC``, offsets (``+02:00``, ``UTC-5``) and ``local``.
    """
    chosen = (name or "").strip() or (default or "").strip()
    if not chosen or chosen.lower() == "local":
        return local_zone()
    if chosen.upper() in ("UTC", "Z", "GMT"):
        return Zone("UTC", timezone.utc)
    offset = _OFFSET.match(chosen)
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 14 or minutes > 59:
            raise UnknownTimeZoneError(f"{chosen!r} is not a UTC offset: {ZONE_HINT}")
        delta = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
        zone = Zone("", timezone(delta))
        return Zone(zone.offset(0), zone.tz)
    try:
        return Zone(chosen, ZoneInfo(chosen))
    except (ZoneInfoNotFoundError, ValueError) as err:  # ValueError: a path-like name
        raise UnknownTimeZoneError(f"unknown time zone {chosen!r}: {ZONE_HINT}") from err


@dataclass
class WallClock:
    """Wall-clock time in ``zone``: Unix seconds shown ``14:05:12`` (``2026-01-05 14:05:12``
    ``with_date``); a cited time without a date may fall on any of ``days``. ``shown`` keeps the
    times stamped so far (in a prompt, in an answer): a cited second that holds several frames
    means the one shown with it."""

    zone: Zone
    now: float
    days: Sequence[date] = ()
    with_date: bool = False
    shown: set[float] = field(default_factory=set, repr=False)

    def format(self, at: float) -> str:
        """``14:05:12`` (with the date when the clock shows dates)."""
        return self.zone.clock(at, self.with_date)

    def stamp(self, at: float) -> str:
        """``[14:05:12]``, remembered as shown."""
        self.shown.add(at)
        return f"[{self.format(at)}]"

    def brackets(self) -> re.Pattern[str]:
        """``[14:05:12]``, ``[2026-01-05 14:05]``, ``[14:05:12–14:05:20]``."""
        return _WALL_BRACKET

    def cited(self, answer: str) -> list[CitedTime]:
        """Wall-clock citations: a bare time of day starts on each of ``days``; a whole minute
        (``[14:05]``) is 60 s long; a text that names no time of day has no start."""
        found: list[CitedTime] = []
        for bracket in _WALL_BRACKET.finditer(answer):
            for stamp in _WALL_TIME.finditer(bracket.group(1)):
                hour, minute = int(stamp.group(2)), int(stamp.group(3))
                second = int(stamp.group(4) or 0)
                try:
                    day = date.fromisoformat(stamp.group(1)) if stamp.group(1) else None
                except ValueError:
                    day = None
                    hour = 99  # not a date: names no time
                if hour > 23 or minute > 59 or second > 59:
                    found.append(CitedTime(stamp.group(0), ()))
                    continue
                seconds = hour * 3600 + minute * 60 + second
                days = [day] if day is not None else list(self.days)
                starts = tuple(
                    self.zone.at(datetime.combine(d, time()) + timedelta(seconds=seconds))
                    for d in days
                )
                found.append(CitedTime(stamp.group(0), starts, 1 if stamp.group(4) else 60))
        return found
