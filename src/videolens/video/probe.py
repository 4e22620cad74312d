"""``probe_video``: what a file holds, and proof that it decodes, before any work is planned."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import av

from videolens.errors import InvalidVideoError
from videolens.video.decode import (
    display_name,
    display_size,
    iter_frames,
    open_container,
    sample_aspect_ratio,
)
from videolens.video.types import VideoInfo

# Demuxers that FFmpeg accepts but that hold no video: a text file opens as "tty" (ANSI art) and
# a single image opens through an image demuxer ("png_pipe", "image2", ...).
_TEXT_FORMATS = {"tty", "bin", "xbin", "idf", "adf"}
_IMAGE_FORMATS = {"image2", "image2pipe"}
# How far probing decodes looking for a first frame: enough to get past leading non-decodable
# packets of a stream cut mid-GOP, cheap enough to keep probing instant.
_PROBE_MAX_PACKETS = 600


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe the video at ``path``; raise ``InvalidVideoError`` if it is not a usable video.

    Decodes the first frame, so an unreadable, truncated or corrupt file is rejected here.
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
    duration = _duration_s(container, stream)
    if duration <= 0:
        raise InvalidVideoError(
            f"{name} has no known duration; re-encode it (e.g. with ffmpeg) and try again."
        )
    fps = _fps(stream)
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


def _duration_s(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration / av.time_base)
    return 0.0


def _fps(stream: Any) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return 0.0


def _rotation(frame: Any, stream: Any) -> int:
    """Counter-clockwise degrees from the display matrix, else the legacy ``rotate`` tag."""
    degrees = getattr(frame, "rotation", 0) or 0
    if not degrees:
        try:  # the "rotate" tag is clockwise
            degrees = -int(stream.metadata.get("rotate", "0"))
        except ValueError:
            degrees = 0
    return round(degrees / 90) * 90 % 360
