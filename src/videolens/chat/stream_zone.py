"""The time zone wall-clock times of a live stream are read and shown in.

A ``Zone`` is an IANA zone (``Europe/Berlin``), UTC, a fixed offset (``+05:30``), or the server's
local zone. Questions say "at 14:05" in the asker's zone, and answers cite ``[14:05:12]`` in it:
the API takes the client's zone per request, the CLI a ``--tz`` option, and otherwise the
``time_zone`` setting or the server's own local zone applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from videolens.errors import VideoLensError

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)
ZONE_HINT = "use an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00"


class InvalidTimeError(VideoLensError):
    """A time in a question or a query does not parse (the message says how to write it)."""


class UnknownTimeZoneError(InvalidTimeError):
    """The time zone named is none this machine knows."""


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
