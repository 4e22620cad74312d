"""An AVI whose video stream header lies about its frame rate, re-timed to its true rate.

An AVI states its rate twice: the file header (``avih``: microseconds a frame, and the frame
count) and the video stream's header (``strh``: rate / scale), which FFmpeg and so every
timestamp follow. Its packets are numbered in the stream's ticks, one frame a tick. A rewritten
``strh`` (vtest.avi at 1/1000 frames/s: 79.5 s claimed as 9 days) is re-timed to the file
header's rate where that rate is certain: the two disagree tenfold or more, only the file
header's is a rate video is shot at, the file header counts the frames the stream holds, the
packets advance one tick a frame, and an audio track, if any, lasts as long as the frames at
that rate. Re-timing sets the stream's time base to one tick a true frame, before anything is
decoded, so every time read from it (frames, seeks, durations) is true. Anything less certain
is left as it is, and ``probe_video`` refuses the file.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av

# Rates this many times apart cannot both be right: one was rewritten.
RATE_DISAGREEMENT = 10.0
# Frames a second that video is recorded at: a time-lapse below, high-speed cameras at the top.
PLAUSIBLE_FPS = (1.0, 1000.0)
# Packets read to check that they advance one tick a frame.
_PACKETS_CHECKED = 120
# How far an audio track's length may be from the frames' at the file header's rate.
_AUDIO_SLACK = 0.05
_AUDIO_SLACK_MIN_S = 1.0
_HEADER_BYTES = 4096


@dataclass(frozen=True)
class AviFileHeader:
    """What ``avih`` says: frames a second (0.0 when it says nothing) and frames in the file."""

    fps: float
    total_frames: int


def avi_file_header(path: str | os.PathLike[str]) -> AviFileHeader:
    """The AVI file header of ``path`` (zeros when there is none in its first 4 KiB)."""
    with open(path, "rb") as file:
        head = file.read(_HEADER_BYTES)
    at = head.find(b"avih")
    if at < 0 or len(head) < at + 28:
        return AviFileHeader(0.0, 0)
    (microseconds,) = struct.unpack_from("<I", head, at + 8)
    (total_frames,) = struct.unpack_from("<I", head, at + 24)
    return AviFileHeader(1e6 / microseconds if microseconds else 0.0, total_frames)


def rates_disagree(stream_fps: float, file_fps: float) -> bool:
    """Whether the stream's and the file's rates are too far apart for both to be right."""
    if stream_fps <= 0 or file_fps <= 0:
        return False
    return max(stream_fps / file_fps, file_fps / stream_fps) >= RATE_DISAGREEMENT


def retime_lying_avi(container: Any, path: str | os.PathLike[str]) -> bool:
    """Re-time ``container``'s video stream to the file header's rate when its stream header's
    rate is a certain lie (see the module's docstring); True when it did. Call it right after
    opening, before anything is read."""
    if container.format.name != "avi" or len(container.streams.video) != 1:
        return False
    stream = container.streams.video[0]
    stated = stream.average_rate or stream.guessed_rate
    header = avi_file_header(path)
    if not stated or not rates_disagree(float(stated), header.fps):
        return False
    if _plausible(float(stated)) or not _plausible(header.fps):
        return False  # both could be true (or neither): nothing says which
    true_tick = Fraction(round(1e6 / header.fps), 1_000_000)
    frames = int(stream.frames or 0)
    if not frames or header.total_frames != frames or stream.duration != frames:
        return False  # the file header is not about this stream's frames, or ticks skip
    if not _one_tick_a_frame(path) or not _audio_agrees(container, frames * float(true_tick)):
        return False
    stream.time_base = true_tick
    return True


def is_retimed(stream: Any) -> bool:
    """Whether ``retime_lying_avi`` re-timed ``stream``: FFmpeg's average rate, and the
    durations it gives packets, still follow the lie, while its ticks are true frames."""
    stated = stream.average_rate or stream.guessed_rate
    return bool(
        stated
        and stream.time_base
        and stream.container.format.name == "avi"
        and rates_disagree(float(stated), float(1 / stream.time_base))
    )


def true_frame_rate(stream: Any) -> Fraction | None:
    """Frames a second of a video stream: FFmpeg's average rate, or one frame a tick for a
    re-timed AVI."""
    if is_retimed(stream):
        return 1 / Fraction(stream.time_base)
    stated = stream.average_rate or stream.guessed_rate
    return Fraction(stated) if stated else None


def packet_ticks(packet: Any, stream: Any) -> int:
    """How long ``packet`` of ``stream`` lasts, in the stream's ticks (one, re-timed)."""
    return 1 if is_retimed(stream) else int(packet.duration or 0)


def _plausible(fps: float) -> bool:
    low, high = PLAUSIBLE_FPS
    return low <= fps <= high


def _one_tick_a_frame(path: str | os.PathLike[str]) -> bool:
    """Whether the first packets of the video stream are numbered 0, 1, 2, … (one a tick)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            numbers = []
            for packet in container.demux(stream):
                if packet.pts is not None and packet.size:
                    numbers.append(int(packet.pts))
                if len(numbers) >= _PACKETS_CHECKED:
                    break
    except (av.FFmpegError, OSError):
        return False
    return bool(numbers) and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _audio_agrees(container: Any, video_s: float) -> bool:
    """Whether every audio track with a stated length lasts ``video_s`` (give or take)."""
    for audio in container.streams.audio:
        if not audio.duration or not audio.time_base:
            continue
        audio_s = float(audio.duration * audio.time_base)
        if abs(audio_s - video_s) > max(_AUDIO_SLACK * video_s, _AUDIO_SLACK_MIN_S):
            return False
    return True
