"""A live stream's analysed frames in a wall-clock range, in the shape the chat tools take.

``load_timeline`` reads the frames of a range (and the events the stream's rules raised there)
from the ``StreamStore``, newest first up to a bound, so a question about "the last 10 minutes"
reads only those windows; and the stream's tracks seen then. A ``StreamTimeline``'s frames carry
the fields the session tools read (``index`` = the frame's ``seq``, ``timestamp_s`` = its Unix
time), so the facts, the intents and the retrieval of session chat work on them unchanged; its
``document()`` is the session-like document a ``Retriever`` indexes, and ``stamp``/``line`` show
local wall-clock times (``[14:05:12]``, with the date when the range spans days or is not
today's).
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property

from videolens.chat.timeline_text import moment_line
from videolens.chat.wall_clock import WallRange
from videolens.streams.store import StreamStore, first_at
from videolens.streams.tracks import stream_tracks
from videolens.timeline.clock import WallClock, Zone
from videolens.timeline.model import (
    Moment,
    SessionDocument,
    StreamDocument,
    StreamEvent,
    StreamGap,
    Track,
    VideoInfo,
)

# The most frames one question reads: ~6 h at a frame every 2 s. Older frames of a longer range
# are left out, and the context says so.
MAX_FRAMES = 10_000
MAX_EVENTS = 2_000


@dataclass
class StreamTimeline:
    """The analysed frames of one stream in ``since_at <= at < until_at`` (None: open), oldest
    first, with the stream's document and the zone times are shown in; ``events`` are read from
    ``store`` when first asked for (most answers need none)."""

    stream: StreamDocument
    zone: Zone
    now: float
    frames: list[Moment]
    wall: WallRange | None = None
    since_at: float | None = None
    until_at: float | None = None
    truncated: bool = False
    store: StreamStore | None = field(default=None, repr=False)
    tracks: list[Track] | None = None
    """The stream's tracks seen in the range, by first sight; None: no detection pass ran."""

    @cached_property
    def events(self) -> list[StreamEvent]:
        """The events the stream's rules raised in the range (as far as frames were read)."""
        if self.store is None:
            return []
        since = at_of(self.frames[0]) if self.truncated and self.frames else self.since_at
        return self.store.stream_events(self.stream_id, since, self.until_at, MAX_EVENTS)

    @property
    def stream_id(self) -> str:
        return self.stream.stream_id

    @property
    def origin(self) -> float:
        """The time retrieval measures from: the first frame's."""
        return at_of(self.frames[0]) if self.frames else self.now

    @property
    def low(self) -> float:
        """Where the range starts: its bound, else its first frame (else now)."""
        return self.since_at if self.since_at is not None else self.origin

    @property
    def high(self) -> float:
        """Where the range ends, at most now."""
        if self.until_at is not None:
            return min(self.until_at, max(self.now, self.low))
        return max(self.now, at_of(self.frames[-1]) if self.frames else self.now)

    def dates(self) -> list[date]:
        """The local dates the range touches, oldest first."""
        first = self.zone.local(self.low).date()
        last = self.zone.local(max(self.low, self.high - 0.001)).date()
        days = min((last - first).days, 31)  # a bound for bare times' candidate days
        return [first + timedelta(days=n) for n in range(days + 1)]

    @cached_property
    def with_date(self) -> bool:
        """Whether times show their date: the range spans more than one local day, or its one
        day is not today (a bare 09:05:12 would read as today's)."""
        days = self.dates()
        return len(days) > 1 or days[0] != self.today

    @cached_property
    def clock(self) -> WallClock:
        """The range's clock: its times, with the date when needed; it keeps the frame times
        shown so far (in a prompt's lines, in an answer)."""
        return WallClock(self.zone, self.now, self.dates(), self.with_date)

    @property
    def shown(self) -> set[float]:
        """The frame times shown so far: a cited second that holds several frames is resolved
        to the one shown with it."""
        return self.clock.shown

    def stamp(self, at: float) -> str:
        """A citation of the frame at ``at``: ``[14:05:12]``."""
        return self.clock.stamp(at)

    def line(self, frame: Moment) -> str:
        """The frame's timeline line with its wall-clock stamp: ``[14:05:12] description | …``."""
        body = moment_line(frame).split("] ", 1)[-1]
        return f"{self.stamp(at_of(frame))} {body}".strip()

    def where(self) -> str:
        """`` in the last 10 minutes (14:00:03–14:10:03)`` (the question's phrase, resolved),
        `` between 14:00:00 and 14:10:00`` (a caller's bounds), or ``""`` (the whole stream)."""
        if self.wall is None and self.since_at is None and self.until_at is None:
            return ""
        low, high = self.clock.format(self.low), self.clock.format(self.high)
        if self.wall is None:
            return f" between {low} and {high}"
        return f" {self.wall.phrase} ({low}–{high})"

    @property
    def today(self) -> date:
        return self.zone.local(self.now).date()

    def event_counts(self, most: int) -> list[str]:
        """The ``most`` rules that raised most events in the range: ``car_seen 3× (last
        [14:05:12])``."""
        rules = Counter(e.rule for e in self.events)
        last_of = {e.rule: e.at for e in self.events}
        return [
            f"{rule} {n}× (last {self.stamp(last_of[rule])})" for rule, n in rules.most_common(most)
        ]

    def gaps(self) -> list[StreamGap]:
        """The stretches nobody watched (the source dropped) that overlap the range."""
        found = []
        for gap in self.stream.gaps:
            if gap.end_at >= self.low and gap.start_at <= self.high:
                found.append(gap)
        return found

    def document(self) -> SessionDocument:
        """The session-like document a ``Retriever`` indexes: times in seconds from ``origin``.

        Its ``session_id`` and ``updated_at`` make the version key of the Retriever's cache:
        another range, or the stream's status changing, is another document."""
        origin = self.origin
        frames = [f.model_copy(update={"timestamp_s": at_of(f) - origin}) for f in self.frames]
        first_seq = self.frames[0].seq if self.frames else "none"
        span = (frames[-1].timestamp_s or 0.0) if frames else 0.0
        status = self.stream.status
        return SessionDocument(
            session_id=f"stream:{self.stream_id}:{first_seq}:{status}",
            status="running",
            created_at=self.stream.created_at,
            updated_at=self.stream.updated_at,
            frames=frames,
            video=VideoInfo(duration_s=span),
        )


def at_of(frame: Moment) -> float:
    """A stream frame's wall-clock time, Unix seconds."""
    return frame.at or 0.0


def _moment(frame: Moment) -> Moment:
    """A stored stream frame as a moment on the timeline: ``index`` its ``seq``,
    ``timestamp_s`` its Unix time."""
    return frame.model_copy(update={"index": frame.seq, "timestamp_s": frame.at})


def _within(at: float, since_at: float | None, until_at: float | None) -> bool:
    return (since_at is None or at >= since_at) and (until_at is None or at < until_at)


def _bounds(
    wall: WallRange | None, since_at: float | None, until_at: float | None
) -> tuple[float | None, float | None]:
    """The intersection of the question's range and the caller's ``since``/``until``."""
    lows = [t for t in (since_at, wall.since_at if wall else None) if t is not None]
    highs = [t for t in (until_at, wall.until_at if wall else None) if t is not None]
    return (max(lows) if lows else None), (min(highs) if highs else None)


@dataclass(frozen=True)
class AskedRange:
    """How a question or a search about a stream is asked: the zone its times are read and shown
    in, the moment it is asked (None: now), and the caller's bounds on the range (None: open)."""

    zone: Zone
    now: float | None = None
    since_at: float | None = None
    until_at: float | None = None

    def fixed(self) -> AskedRange:
        """The same range with ``now`` read once, so every part of one answer agrees on it."""
        return self if self.now is not None else replace(self, now=time.time())

    @property
    def at(self) -> float:
        """The moment asked at."""
        return time.time() if self.now is None else self.now


def load_timeline(
    store: StreamStore,
    stream_id: str,
    asked: AskedRange,
    wall: WallRange | None = None,
    max_frames: int = MAX_FRAMES,
) -> StreamTimeline:
    """The frames (newest ``max_frames``) of ``stream_id`` in the range asked about, narrowed
    by the range the question names (``wall``)."""
    stream = store.document(stream_id)
    zone, now = asked.zone, asked.at
    since, until = _bounds(wall, asked.since_at, asked.until_at)
    names = store.window_names(stream_id)
    starts = [first_at(name) for name in names]
    # A window that starts before ``since`` may still hold frames after it.
    low = 0 if since is None else max(0, bisect.bisect_right(starts, since) - 1)
    high = len(names) if until is None else bisect.bisect_left(starts, until)
    selected = names[low:high]
    batches: list[list[Moment]] = []
    count, truncated = 0, False
    for position, name in enumerate(reversed(selected)):
        batch = [
            _moment(frame)
            for frame in store.window_moments(stream_id, name)
            if _within(at_of(frame), since, until)
        ]
        batches.append(batch)
        count += len(batch)
        if count >= max_frames:
            truncated = count > max_frames or position < len(selected) - 1
            break
    frames = [frame for batch in reversed(batches) for frame in batch]
    frames = sorted(frames, key=lambda f: (at_of(f), f.seq or 0))[-max_frames:]
    tracks = stream_tracks(store, stream_id, since, until)
    return StreamTimeline(stream, zone, now, frames, wall, since, until, truncated, store, tracks)
