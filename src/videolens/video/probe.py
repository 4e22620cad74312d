"""``probe_video``: what a file holds, and proof that it decodes, before any work is planned."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import av

from videolens.errors import InvalidVideoError
from videolens.video.avi_rate import (
    avi_file_header,
    packet_ticks,
    rates_disagree,
    true_frame_rate,
)
from videolens.video.decode import (
    display_name,
    display_size,
    iter_frames,
    open_container,
    sample_aspect_ratio,
    stream_origin,
)
from videolens.video.types import VideoInfo

# Demuxers that FFmpeg accepts but that hold no video: a text file opens as "tty" (ANSI art) and
# a single image opens through an image demuxer ("png_pipe", "image2", ...).
_TEXT_FORMATS = {"tty", "bin", "xbin", "idf", "adf"}
_IMAGE_FORMATS = {"image2", "image2pipe"}
# How far probing decodes looking for a first frame: enough to get past leading non-decodable
# packets of a stream cut mid-GOP, cheap enough to keep probing instant.
_PROBE_MAX_PACKETS = 600
# A file is truncated when the video it holds ends this far short of what its header claims:
# short by both a share and an absolute margin, so the usual few frames of slack between a
# container's and a stream's durations never trip it.
_TRUNCATED_SHARE = 0.9
_TRUNCATED_MIN_S = 2.0
# Packets read after one seek when looking for the end of the data. Hitting the cap means data
# goes on (a long GOP): the header is trusted.
_TAIL_PACKETS = 600
# Seeks of the bisection that finds how far a truncated file's data reaches (the answer is only
# needed for the message: a GOP or so is precise enough).
_BISECT_STEPS = 12
# Where a seek "to the end" aims (about 3 years): past any real video, so it lands on the last
# keyframe of a file whose header understates its length.
_FAR_S = 1e8


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe the video at ``path``; raise ``InvalidVideoError`` if it is not a usable video.

    Decodes the first frame, so an unreadable or corrupt file is rejected here. A truncated file
    (an upload or copy cut short) is rejected too, even where its start plays: when the header
    says how long the video is (an AVI's frame count, an MP4's or Matroska's duration) and the
    data ends well short of that (under 90% and more than 2 s short), ``InvalidVideoError`` says
    "… is truncated: its header says 1:19.5 but only 0:01.6 can be decoded". This costs a seek to
    the claimed end and reading packets there (no decoding); only a truncated file needs a dozen
    more seeks to find where its data stops. Formats without a header duration (MPEG-TS, raw
    streams) cannot tell a cut file from a short one and are taken as they are.
    """
    name = display_name(path)
    size = _file_size(path, name)
    container = open_container(path)
    try:
        return _describe(container, path, name, size)
    finally:
        container.close()


def _file_size(path: str | os.PathLike[str], name: str) -> int:
    file = Path(path)
    if not file.exists():
        raise InvalidVideoError(f"{name} does not exist; check the path.")
    if file.is_dir():
        raise InvalidVideoError(f"{name} is a folder, not a video file.")
    size = file.stat().st_size
    if size == 0:
        raise InvalidVideoError(f"{name} is empty (0 bytes); upload the complete file.")
    return size


def _describe(container: Any, path: str | os.PathLike[str], name: str, size: int) -> VideoInfo:
    format_name = str(container.format.name)
    if format_name in _TEXT_FORMATS:
        raise InvalidVideoError(f"{name} is a text file, not a video.")
    if format_name in _IMAGE_FORMATS or format_name.endswith("_pipe"):
        raise InvalidVideoError(f"{name} is a still image, not a video.")
    if not container.streams.video:
        kinds = sorted({stream.type for stream in container.streams})
        holds = f"it holds only {' and '.join(kinds)}" if kinds else "it holds no streams"
        raise InvalidVideoError(f"{name} has no video stream ({holds}).")
    stream = container.streams.video[0]
    codec = str(stream.codec_context.name)
    first = _first_frame(container, stream, name)
    fps = _fps(stream)
    if format_name == "avi":
        _check_avi_rates(path, name, fps, int(stream.frames or 0))
    reach = _check_complete(container, stream, name, _claimed_s(container, stream, fps))
    duration, note = _true_duration(container, stream, _duration_s(container, stream), reach)
    note = "; ".join(filter(None, (_retimed_note(stream, fps), note)))
    if duration <= 0:
        raise InvalidVideoError(
            f"{name} has no known duration; re-encode it (e.g. with ffmpeg) and try again."
        )
    frames = int(stream.frames or 0)
    if fps <= 0:
        fps = frames / duration if frames else 25.0
    coded_width = int(stream.codec_context.width or first.width)
    coded_height = int(stream.codec_context.height or first.height)
    rotation = _rotation(first, stream)
    aspect = sample_aspect_ratio(stream)
    width, height = display_size(coded_width, coded_height, aspect, rotation)
    return VideoInfo(
        path=str(Path(path).resolve()),
        duration_s=round(duration, 3),
        fps=round(fps, 3),
        frame_count=frames if frames > 0 else max(1, round(duration * fps)),
        width=width,
        height=height,
        codec=codec,
        rotation=rotation,
        has_audio=bool(container.streams.audio),
        container=format_name,
        size_bytes=size,
        coded_width=coded_width,
        coded_height=coded_height,
        sample_aspect_ratio=round(aspect, 6),
        header_note=note,
    )


def _first_frame(container: Any, stream: Any, name: str) -> Any:
    stream.thread_type = "AUTO"
    try:
        for _, frame in iter_frames(container, stream, max_packets=_PROBE_MAX_PACKETS):
            return frame
    except (av.FFmpegError, ValueError, OSError):
        pass
    raise InvalidVideoError(
        f"{name} has no decodable video frames; the file may be truncated or corrupt."
    )


def _claimed_s(container: Any, stream: Any, fps: float) -> float:
    """How long the header says the video stream is: its duration or its frame count over its
    rate (an AVI cut short keeps its header's frame count while its duration is re-estimated from
    what is left); the container's duration only when the stream states neither."""
    claims = []
    if stream.duration and stream.time_base:
        claims.append(float(stream.duration * stream.time_base))
    if stream.frames and fps > 0:
        claims.append(int(stream.frames) / fps)
    if not claims and container.duration:
        claims.append(float(container.duration / av.time_base))
    return max(claims, default=0.0)


def _check_complete(container: Any, stream: Any, name: str, claimed_s: float) -> float | None:
    """Raise ``InvalidVideoError`` when the data ends far short of ``claimed_s``; otherwise how
    far the data reaches, where the seek to ``claimed_s`` found its end (else None)."""
    if claimed_s <= _TRUNCATED_MIN_S:
        return None
    reach = _data_end(container, stream, claimed_s)
    if not isinstance(reach, float | None):
        return None  # the file cannot seek, or its data goes on: trust the header
    if reach is None:  # nothing past the last keyframe: find where the data stops
        reach = _bisect_end(container, stream, claimed_s)
    if claimed_s - reach <= _TRUNCATED_MIN_S or reach >= _TRUNCATED_SHARE * claimed_s:
        return reach
    raise InvalidVideoError(
        f"{name} is truncated: its header says {_clock(claimed_s)} but only {_clock(reach)} "
        "can be decoded; upload or copy the complete file."
    )


def _true_duration(
    container: Any, stream: Any, header_s: float, reach: float | None
) -> tuple[float, str]:
    """The duration to plan with and, where the header's is wrong, a note saying so.

    A header that says less than the frames run to (an MP4's ``mdhd`` rewritten short) would hide
    the rest of the video from the plan: the frames' end is used instead. ``reach`` is the end
    the completeness check found, if any; otherwise one seek to the far end finds it (a file
    whose last stretch is longer than ``_TAIL_PACKETS`` packets keeps its header's duration).
    """
    if reach is None:
        far = _data_end(container, stream, max(_FAR_S, header_s))
        reach = far if isinstance(far, float) else None
    if reach is None or reach - header_s <= _TRUNCATED_MIN_S:
        return header_s, ""
    if header_s <= 0:
        return reach, ""
    return reach, (
        f"its header says {_clock(header_s)} but its frames run to {_clock(reach)}; "
        "the frames' length is used"
    )


def _check_avi_rates(path: str | os.PathLike[str], name: str, fps: float, frames: int) -> None:
    """Raise ``InvalidVideoError`` when an AVI's two statements of its frame rate disagree far
    beyond rounding (a rewritten stream header: 1/1000 frames/s turns 80 s into 9 days) and
    opening it could not tell which is true (``avi_rate``: where it could, it re-timed it)."""
    file_fps = avi_file_header(path).fps
    if not rates_disagree(fps, file_fps):
        return
    stated = f"{frames} frames over {_clock(frames / fps)}" if frames else "its frames"
    rate = f"{file_fps:.4g}"
    raise InvalidVideoError(
        f"{name}'s header contradicts itself: its video stream says {fps:.4g} frames/s "
        f"({stated}) but its file header says {rate} frames/s; re-encode it at the "
        f"right rate (e.g. ffmpeg -i {name} -vf settb=1/{rate},setpts=N -r {rate} out.mp4) "
        "and try again."
    )


_UNKNOWN = object()


def _bisect_end(container: Any, stream: Any, claimed_s: float) -> float:
    """Where the data of a file whose end cannot be read stops: each seek either reads to the
    end of the data (the answer), finds data going on past ``_TAIL_PACKETS`` (it stops later)
    or finds nothing (it stops earlier)."""
    low, high = 0.0, claimed_s
    for _ in range(_BISECT_STEPS):
        middle = (low + high) / 2
        end = _data_end(container, stream, middle)
        if isinstance(end, float):
            return end
        if end is None:
            high = middle
        else:
            low = middle
    return low


def _data_end(container: Any, stream: Any, at_s: float) -> float | object | None:
    """Seek to the keyframe before ``at_s`` and read packets to the end of the data: the end time
    of the last one (seconds from the stream's start), None when none can be read there, or
    ``_UNKNOWN`` when the file cannot seek or the data goes on past ``_TAIL_PACKETS``."""
    origin = stream_origin(stream)
    time_base = stream.time_base
    try:
        container.seek(origin + int(at_s / time_base), stream=stream, backward=True)
    except (av.FFmpegError, OSError, ValueError):
        return _UNKNOWN
    end: float | None = None
    try:
        for count, packet in enumerate(container.demux(stream)):
            if count >= _TAIL_PACKETS:
                return _UNKNOWN
            if packet.pts is not None:
                stop = float((packet.pts + packet_ticks(packet, stream) - origin) * time_base)
                end = stop if end is None else max(end, stop)
    except (av.FFmpegError, OSError):
        pass  # the data ends in a damaged packet: what came before counts
    return end


def _clock(seconds: float) -> str:
    """``m:ss.s`` (``1:19.5``, ``0:01.6``); ``h:mm:ss.s`` from an hour on (``220:50:00.0``)."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    if minutes < 60:
        return f"{int(minutes)}:{rest:04.1f}"
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{rest:04.1f}"


def _duration_s(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration / av.time_base)
    return 0.0


def _fps(stream: Any) -> float:
    for rate in (true_frame_rate(stream), stream.base_rate):
        if rate:
            return float(rate)
    return 0.0


def _retimed_note(stream: Any, fps: float) -> str:
    """A note for an AVI re-timed on opening (its stream header's rate a certain lie), else ""."""
    stated = stream.average_rate or stream.guessed_rate
    if not stated or not rates_disagree(float(stated), fps):
        return ""
    return (
        f"its video stream's header says {float(stated):.4g} frames/s but its file header says "
        f"{fps:.4g} and its frames agree; timed at {fps:.4g} frames/s"
    )


def _rotation(frame: Any, stream: Any) -> int:
    """Counter-clockwise degrees from the display matrix, else the legacy ``rotate`` tag."""
    degrees = getattr(frame, "rotation", 0) or 0
    if not degrees:
        try:  # the "rotate" tag is clockwise
            degrees = -int(stream.metadata.get("rotate", "0"))
        except ValueError:
            degrees = 0
    return round(degrees / 90) * 90 % 360
