"""Moment clips: a short MP4 around a moment of a video, cut once and kept.

``clip_of(source, clips_dir, at_s, before_s, after_s)`` cuts ``[at - before, at + after]``
(clamped to the video) with :func:`~videolens.video.clip_cutting.cut_clip` and keeps it in
``clips_dir`` as ``<start_ms>-<end_ms>.mp4`` beside a small JSON record of where it really starts
and ends. An exclusive ``flock`` on ``clips_dir/.lock`` makes a second request (another thread,
or another process on the same data dir) wait for the first one's clip instead of cutting its
own; it also means one session transcodes one clip at a time. The least recently used clips are
removed beyond ``MAX_CACHED_CLIPS``.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from videolens.video.clip_cutting import (
    MAX_COPY_LEAD_S,
    ClipError,
    CutMethod,
    CutResult,
    cut_clip,
)
from videolens.video.decode import display_name, open_container

MAX_CLIP_S = 120.0
"""The longest clip (seconds before plus seconds after the moment)."""
DEFAULT_BEFORE_S = 3.0
DEFAULT_AFTER_S = 5.0
MAX_CACHED_CLIPS = 24
"""Clips kept per session; the least recently used go first."""
CLIPS_DIR = "clips"
LOCK_FILE = ".lock"

_SECONDS = re.compile(r"(\d+(?:\.\d+)?)s?")
_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)")

__all__ = [
    "CLIPS_DIR",
    "DEFAULT_AFTER_S",
    "DEFAULT_BEFORE_S",
    "MAX_CLIP_S",
    "Clip",
    "ClipError",
    "ClipRequestError",
    "ClipWindow",
    "VideoGoneError",
    "clip_of",
    "clip_window",
    "clock",
    "parse_clip_time",
    "session_video",
    "video_duration_s",
]


class ClipRequestError(ClipError):
    """The request cannot be met as asked (a time outside the video, a negative or too long
    span); ``field`` names the input at fault (``t``, ``before`` or ``after``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class VideoGoneError(ClipError):
    """The session's video is no longer where the session says it is."""


@dataclass(frozen=True)
class ClipWindow:
    """The asked span, clamped to the video: seconds from its first frame."""

    at_s: float
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Clip:
    """A clip on disk: where its first picture is in the video, how long it lasts, how it was
    made (``copy`` from a keyframe, or ``transcode``), what was asked, and whether it was cut
    before (``cached``)."""

    path: Path
    start_s: float
    duration_s: float
    method: CutMethod
    window: ClipWindow
    cached: bool

    def as_dict(self) -> dict[str, Any]:
        """What the CLI prints with ``--json``."""
        return {
            "path": str(self.path),
            "start_s": round(self.start_s, 3),
            "duration_s": round(self.duration_s, 3),
            "method": self.method,
            "asked_start_s": self.window.start_s,
            "asked_end_s": self.window.end_s,
            "cached": self.cached,
        }


def clock(seconds: float, decimals: int = 0) -> str:
    """``mm:ss`` (``h:mm:ss`` past an hour), with ``decimals`` of a second when asked.

    Without decimals the seconds are truncated, as players show them.
    """
    scale = 10**decimals
    total = math.floor(max(0.0, seconds) * scale + 1e-6) / scale
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    width = 2 + (decimals + 1 if decimals else 0)
    text = f"{int(minutes):02d}:{secs:0{width}.{decimals}f}"
    return f"{int(hours)}:{text}" if hours else text


def parse_clip_time(text: str, field: str = "t") -> float:
    """Seconds for ``83``, ``83.5``, ``83s``, ``1:23``, ``01:23.5``, ``1:01:23`` or ``[01:23]``
    (a citation as chat answers write it); :class:`ClipRequestError` for anything else."""
    cleaned = text.strip().removeprefix("[").removesuffix("]").strip()
    usage = "use seconds (83), mm:ss (1:23) or h:mm:ss (1:01:23)"
    if cleaned.startswith("-"):
        raise ClipRequestError(f"{text!r} is before the start of the video: {usage}", field)
    match = _SECONDS.fullmatch(cleaned)
    if match:
        return float(match.group(1))
    match = _CLOCK.fullmatch(cleaned)
    if not match:
        raise ClipRequestError(f"{text!r} is not a time: {usage}", field)
    hours, minutes, seconds = match.group(1), int(match.group(2)), float(match.group(3))
    if seconds >= 60 or (hours is not None and minutes >= 60):
        raise ClipRequestError(f"{text!r} is not a time: minutes and seconds go up to 59", field)
    return int(hours or 0) * 3600 + minutes * 60 + seconds


def clip_window(at_s: float, before_s: float, after_s: float, video_s: float) -> ClipWindow:
    """``[at - before, at + after]`` clamped to ``[0, video_s]``, to the millisecond.

    :class:`ClipRequestError` when ``at_s`` is outside the video, ``before_s``/``after_s`` is
    negative, their sum is over ``MAX_CLIP_S``, or nothing would be left to cut.
    """
    for name, value in (("before", before_s), ("after", after_s)):
        if not math.isfinite(value) or value < 0:
            raise ClipRequestError(f"{name} must be 0 or more seconds, not {value:g}", name)
    if before_s + after_s > MAX_CLIP_S:
        raise ClipRequestError(
            f"a clip lasts at most {MAX_CLIP_S:g} s; {before_s:g} s before and {after_s:g} s "
            f"after make {before_s + after_s:g} s",
            "before" if before_s > after_s else "after",
        )
    if not math.isfinite(at_s) or at_s < 0 or at_s > video_s + 1e-3:
        raise ClipRequestError(
            f"{clock(at_s, 1) if math.isfinite(at_s) else at_s} is outside the video, "
            f"which lasts {clock(video_s, 1)}",
            "t",
        )
    start_ms = max(0, round((at_s - before_s) * 1000))
    end_ms = min(math.floor(video_s * 1000), round((at_s + after_s) * 1000))
    if end_ms - start_ms < 1:
        raise ClipRequestError(
            f"nothing to cut at {clock(at_s, 1)}: ask for some seconds before or after it",
            "after",
        )
    return ClipWindow(at_s=at_s, start_s=start_ms / 1000, end_s=end_ms / 1000)


def video_duration_s(source: Path) -> float:
    """How long ``source`` lasts, from its header (nothing decoded)."""
    container = open_container(source)
    try:
        if not container.streams.video:
            raise ClipError(f"{display_name(source)} has no video stream")
        stream = container.streams.video[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        if container.duration:
            return float(container.duration / av.time_base)
        raise ClipError(f"{display_name(source)} does not say how long it lasts")
    finally:
        container.close()


def session_video(document: dict[str, Any]) -> Path:
    """The video a session was made from; :class:`VideoGoneError` when it is no longer there."""
    path = str((document.get("video") or {}).get("path") or "")
    if not path or not Path(path).is_file():
        name = document.get("filename") or display_name(path or "its video")
        raise VideoGoneError(
            f"the video of this session ({name}) is no longer there: it was moved or deleted, "
            "so no clip can be cut"
        )
    return Path(path)


def clip_of(
    source: Path,
    clips_dir: Path,
    at_s: float,
    before_s: float = DEFAULT_BEFORE_S,
    after_s: float = DEFAULT_AFTER_S,
    *,
    max_copy_lead_s: float = MAX_COPY_LEAD_S,
    max_cached: int = MAX_CACHED_CLIPS,
) -> Clip:
    """The clip ``[at - before, at + after]`` of ``source``, from ``clips_dir`` or cut now.

    ``clips_dir``'s parent must exist (a session deleted meanwhile is not recreated).
    """
    window = clip_window(at_s, before_s, after_s, video_duration_s(source))
    name = f"{round(window.start_s * 1000)}-{round(window.end_s * 1000)}"
    found = _cached(clips_dir, name, window)
    if found is not None:
        return found
    try:
        clips_dir.mkdir(exist_ok=True)
    except FileNotFoundError as err:
        raise ClipError("the session's folder is gone; it was deleted meanwhile") from err
    with (clips_dir / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        found = _cached(clips_dir, name, window)
        if found is not None:
            return found  # cut by whoever held the lock before us
        target = clips_dir / f"{name}.mp4"
        cut = cut_clip(
            source, target, window.start_s, window.end_s, max_copy_lead_s=max_copy_lead_s
        )
        _write_record(clips_dir / f"{name}.json", cut)
        _prune(clips_dir, max_cached)
    return Clip(target, cut.start_s, cut.duration_s, cut.method, window, cached=False)


def _cached(clips_dir: Path, name: str, window: ClipWindow) -> Clip | None:
    # The record is written after the clip is renamed into place: with it, the clip is whole.
    clip, record = clips_dir / f"{name}.mp4", clips_dir / f"{name}.json"
    try:
        saved = json.loads(record.read_text(encoding="utf-8"))
        start_s, end_s, method = float(saved["start_s"]), float(saved["end_s"]), saved["method"]
        os.utime(clip)  # recently used: pruned last
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if method not in ("copy", "transcode"):
        return None
    return Clip(clip, start_s, end_s - start_s, method, window, cached=True)


def _write_record(path: Path, cut: CutResult) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    record = {"start_s": cut.start_s, "end_s": cut.end_s, "method": cut.method}
    try:
        partial.write_text(json.dumps(record), encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _prune(clips_dir: Path, keep: int) -> None:
    clips = sorted(clips_dir.glob("*.mp4"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in clips[keep:]:
        old.with_suffix(".json").unlink(missing_ok=True)  # the record first: never a stale hit
        old.unlink(missing_ok=True)
