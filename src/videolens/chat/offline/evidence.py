"""What an offline answer reads: the frames of the stretch asked about (oldest first), the clock
that cites them, and what the source adds: a session's document (its summary, chapters and
speech track) and index (where an anchor such as "after the car stops" points), or a live
stream's range (its events, gaps and status; its frames are shown newest first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from videolens.chat.facts import ordered_frames, seconds
from videolens.chat.live_timeline import StreamTimeline
from videolens.chat.retrieval import TimelineIndex
from videolens.chat.timeparse import TimeAnchor
from videolens.timeline.clock import Clock, VideoClock, format_timestamp
from videolens.timeline.model import Moment, SessionDocument, Track

PREFIX = "Retrieval only (no chat model configured)"
Window = tuple[float, float]


@dataclass
class Evidence:
    """The frames an offline answer rests on (``timestamp_s``: video seconds, or Unix seconds
    for a stream), ``where`` they are (`` between 01:00 and 02:00``, ``""``: everywhere) and
    the source's own parts: ``document`` and ``index`` for a session, ``stream`` for a stream."""

    frames: list[Moment]
    clock: Clock
    where: str = ""
    document: SessionDocument | None = None
    index: TimelineIndex | None = None
    stream: StreamTimeline | None = None
    window: Window | None = None
    tracks: list[Track] | None = None
    """The tracks alive in the stretch, by first sight; None: no tracking pass ran."""

    @classmethod
    def of_session(cls, document: SessionDocument, index: TimelineIndex) -> Evidence:
        """The whole session, in video time."""
        tracks = None
        if document.tracks is not None:
            tracks = sorted(document.tracks, key=lambda track: (track.first_s, track.track_id))
        frames = ordered_frames(document)
        return cls(frames, VideoClock(), document=document, index=index, tracks=tracks)

    @classmethod
    def of_stream(cls, timeline: StreamTimeline) -> Evidence:
        """A live stream's range, in wall-clock time."""
        return cls(
            timeline.frames,
            timeline.clock,
            timeline.where(),
            stream=timeline,
            tracks=timeline.tracks,
        )

    @property
    def live(self) -> bool:
        """Whether this is a live stream (its newest frames matter most)."""
        return self.stream is not None

    @property
    def unit(self) -> str:
        """What one analysed frame is called: a session's ``moment``, a stream's ``frame``."""
        return "frame" if self.live else "moment"

    @property
    def detector_ran(self) -> bool:
        """Whether an object detector looked at the stretch (so a thing it knows and did not
        find was not there to be found)."""
        return self.tracks is not None or any(f.detections is not None for f in self.frames)

    @property
    def span_s(self) -> float:
        """How many seconds of video the stretch covers (its window, else the video)."""
        duration = self.document.video.duration_s if self.document is not None else None
        times = [seconds(f) for f in self.frames]
        low, high = (min(times), max(times)) if times else (0.0, 0.0)
        if self.window is not None:
            low, high = max(self.window[0], 0.0), min(self.window[1], duration or high)
        elif duration:
            low, high = 0.0, duration
        return max(high - low, 0.0)

    def stamp(self, at: float) -> str:
        """A citation of the frame at ``at``: ``[01:30]``, ``[14:05:12]``."""
        return self.clock.stamp(at)

    def narrowed(self, anchor: TimeAnchor | None) -> Evidence:
        """The stretch a session question's time anchor names ("at 1:30", "at the end"); a
        stream's range is already the one its question names."""
        if self.index is None:
            return self
        window = _window(anchor, self.index)
        if window is None:
            return self
        low, high = window
        frames = [f for f in self.frames if low <= seconds(f) <= high]
        tracks = self.tracks
        if tracks is not None:
            tracks = [t for t in tracks if t.last_s >= low and t.first_s <= high]
        return replace(self, frames=frames, where=_where(window), window=window, tracks=tracks)


def _window(anchor: TimeAnchor | None, index: TimelineIndex) -> Window | None:
    """The stretch of video a time anchor points at (None: the whole video)."""
    if anchor is None:
        return None
    near = max(index.time_scale_s, 2.0)
    seconds = anchor.seconds
    if seconds is None and anchor.event:
        event = index.relevance(anchor.event)
        if len(event) and float(event.max()) > 0:
            seconds = float(index.timestamps[int(event.argmax())])
    if anchor.kind == "at" and seconds is not None:
        return (seconds - near, seconds + near)
    if anchor.kind == "between" and seconds is not None:
        return (seconds, anchor.until_s if anchor.until_s is not None else seconds)
    if anchor.kind == "after" and seconds is not None:
        return (seconds, math.inf)
    if anchor.kind == "before" and seconds is not None:
        return (-math.inf, seconds)
    if anchor.kind == "start":
        return (-math.inf, index.duration_s * 0.2)
    if anchor.kind == "end":
        return (index.duration_s * 0.8, math.inf)
    return None


def _where(window: Window) -> str:
    low, high = window
    if math.isinf(low):
        return f" before {format_timestamp(high)}"
    if math.isinf(high):
        return f" after {format_timestamp(low)}"
    return f" between {format_timestamp(max(low, 0.0))} and {format_timestamp(high)}"
