"""``[video title @ mm:ss]``: how a library answer cites a moment, and the check that it exists.

A session's moment is cited at its time in the video (``[cam1.mp4 @ 01:05]``), a stream's at
its UTC wall-clock instant (``[door @ 2026-12-07 14:05:12]``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

from videolens.library.index import LibraryIndex
from videolens.library.records import LibraryFilter, LibraryMoment, LibraryVideo
from videolens.timeline.clock import clock_seconds, format_timestamp

_CITATION = re.compile(
    r"\[([^\[\]@\n]{1,200}?) @ ((?:\d{4}-\d{2}-\d{2} )?\d{1,2}:\d{2}(?::\d{2})?)\]"
)
_WALL = "%Y-%m-%d %H:%M:%S"
# A cited time is truncated to the second: a moment in that second is the one cited.
SECOND = 1.0
_MOST_TITLED = 1000  # videos of one title a citation is looked for in


@dataclass(frozen=True)
class LibraryCitation:
    """A cited moment: its text, and the video and time it names if it exists (``valid``)."""

    text: str
    title: str
    valid: bool
    video_id: str | None = None
    at_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cite(video: LibraryVideo, moment: LibraryMoment) -> str:
    """The citation of ``moment``, brackets included."""
    if video.kind == "stream":
        when = datetime.fromtimestamp(moment.at_s, timezone.utc).strftime(_WALL)
    else:
        when = format_timestamp(moment.at_s)
    return f"[{video.title} @ {when}]"


def _seconds(kind: str, when: str) -> float | None:
    if kind == "stream":
        try:
            return datetime.strptime(when, _WALL).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            return None
    return clock_seconds(when)


def check_citations(index: LibraryIndex, text: str, chosen: LibraryFilter) -> list[LibraryCitation]:
    """Every ``[title @ time]`` in ``text``, each checked against the videos ``chosen`` lets
    the asker see: valid only if such a video has a moment at that time."""
    titles = {_title(m.group(1)) for m in _CITATION.finditer(text)}
    by_title = _videos_titled(index, chosen, titles)
    found = []
    for match in _CITATION.finditer(text):
        title, when = _title(match.group(1)), match.group(2)
        hit = None
        for video in by_title.get(title, []):
            seconds = _seconds(video.kind, when)
            moment = (
                None
                if seconds is None
                else index.moment_between(video.video_id, seconds, seconds + SECOND)
            )
            if moment is not None:
                hit = LibraryCitation(match.group(0)[1:-1], title, True, video.video_id,
                                      moment.at_s)  # fmt: skip
                break
        found.append(hit or LibraryCitation(match.group(0)[1:-1], title, False))
    return found


def _title(text: str) -> str:
    return text.strip()


def _videos_titled(
    index: LibraryIndex, chosen: LibraryFilter, titles: set[str]
) -> dict[str, list[LibraryVideo]]:
    """The visible videos with one of ``titles`` (titles need not be unique)."""
    found: dict[str, list[LibraryVideo]] = {}
    if titles:
        named = replace(chosen, titles=tuple(sorted(titles)))
        for video in index.videos(named, limit=_MOST_TITLED).videos:
            found.setdefault(video.title, []).append(video)
    return found
