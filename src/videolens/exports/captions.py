"""SRT and WebVTT writers, and the described-moments track: each analysed moment's description
as a caption until the next moment. The speech track (real subtitles) is in ``subtitles``.

No caption flashes by unread: a moment shown for less than ``MIN_CUE_S`` (a frame kept 40 ms
before a cut) gives way to the moment after it, which is what stays on screen; its caption
starts at the earlier time. A last moment too short to read joins the one before.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass

from videolens.timeline.model import Moment, SessionDocument

# How long the last caption stays when the video's duration is unknown (at most).
LAST_CUE_S = 5.0
# The shortest time a caption stays on screen (also used by the speech subtitles).
MIN_CUE_S = 1.0


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def moment_time(moment: Moment) -> float:
    """Seconds from the video's start; every moment of a session has it."""
    if moment.timestamp_s is None:
        raise ValueError(f"moment {moment.index} of the session has no timestamp_s")
    return moment.timestamp_s


def caption_text(moment: Moment) -> str:
    """The description, then the on-screen text on a second line."""
    lines = [_one_line(moment.description)]
    text = [_one_line(t) for t in moment.text if _one_line(t)]
    if text:
        lines.append("On screen: " + ", ".join(f'"{t}"' for t in text))
    return "\n".join(line for line in lines if line) or "(no description)"


def moment_cues(document: SessionDocument) -> list[Cue]:
    """Ordered, non-overlapping cues with end > start (frames at the same time collapse)."""
    frames = sorted(document.frames, key=moment_time)
    times: list[float] = []
    kept: list[Moment] = []
    for frame in frames:
        t = round(moment_time(frame), 3)
        if times and t <= times[-1]:
            continue
        times.append(t)
        kept.append(frame)
    if not kept:
        return []
    gaps = [b - a for a, b in itertools.pairwise(times)]
    hold = min(LAST_CUE_S, statistics.median(gaps)) if gaps else LAST_CUE_S
    duration = document.video.duration_s or 0.0
    last_end = duration if duration > times[-1] else times[-1] + hold
    ends = [*times[1:], round(last_end, 3)]
    cues = [
        Cue(start, end, caption_text(frame))
        for start, end, frame in zip(times, ends, kept, strict=True)
        if end > start
    ]
    return readable(cues)


def readable(cues: list[Cue], min_s: float = MIN_CUE_S) -> list[Cue]:
    """Contiguous ``cues`` with none shorter than ``min_s`` (unless only one is left): a short
    cue is replaced by the next one, started earlier; a short last cue extends the one before.
    Neighbours with the same text become one cue."""
    merged: list[Cue] = []
    pending: Cue | None = None  # a short cue waiting for the next one to take its time
    for cue in cues:
        start = pending.start_s if pending is not None else cue.start_s
        cue = Cue(start, cue.end_s, cue.text)
        pending = None
        if merged and merged[-1].text == cue.text and merged[-1].end_s >= cue.start_s:
            cue = Cue(merged.pop().start_s, cue.end_s, cue.text)
        if cue.end_s - cue.start_s < min_s:
            pending = cue
            continue
        merged.append(cue)
    if pending is not None:
        if merged and merged[-1].end_s >= pending.start_s:
            merged[-1] = Cue(merged[-1].start_s, pending.end_s, merged[-1].text)
        else:
            merged.append(pending)
    return merged


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(cues: list[Cue]) -> str:
    """SubRip: numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        text = cue.text.replace("-->", "->")
        blocks.append(f"{number}\n{_clock(cue.start_s, ',')} --> {_clock(cue.end_s, ',')}\n{text}")
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT: a header, then cues with ``HH:MM:SS.mmm`` times and escaped text."""
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        blocks.append(
            f"{number}\n{_clock(cue.start_s, '.')} --> {_clock(cue.end_s, '.')}\n"
            f"{_vtt_escape(cue.text)}"
        )
    return "\n\n".join(blocks) + "\n"
