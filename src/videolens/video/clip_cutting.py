"""Cut ``[start, end)`` of a video into an MP4 with PyAV: a stream copy if it can, else a transcode.

A stream copy keeps the original pictures (no quality lost, milliseconds for any length) but can
only begin on a keyframe. It is used when the video codec can go in MP4 unchanged (H.264, as for
the playable copy) and a keyframe lies at most ``max_copy_lead_s`` before the asked start; the
clip then begins on that keyframe. Otherwise the frames from the one on screen at the asked start
up to the end are decoded and encoded again (libx264, which ships in PyAV's wheels), so the clip
begins within one frame of the asked start. Audio is copied when MP4 takes its codec (AAC, MP3),
else transcoded to AAC.

A copy is cut in decode order after the last packet shown before the end: B-frames shown before
the end may need a later-shown picture decoded before them, so a copy may end up to the
decoder's reorder delay (a frame or two) after the asked end, and never leaves a picture out.
A copy needs decode timestamps (MP4, MOV, AVI, MPEG-TS have them); H.264 in Matroska, which
stores none, is transcoded.

Both write to a temporary file beside the target and rename it into place, so a reader never
sees half a clip.
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av

from videolens.errors import VideoLensError
from videolens.video.avi_rate import is_retimed, packet_ticks, retime_lying_avi, true_frame_rate
from videolens.video.clip_audio import audio_stream, write_audio
from videolens.video.decode import av_reason, display_name, open_container, stream_origin
from videolens.video.playable import VIDEO_ENCODER
from videolens.video.seeking import seek, seek_targets

MAX_COPY_LEAD_S = 2.0
"""A stream copy may begin at most this long before the asked start (a keyframe every 2 s is
what streaming encoders write); a keyframe further back makes a transcode instead."""

_COPY_VIDEO = {"h264"}
_EPS = 1e-6
_REORDER_WINDOW = 4  # frames whose time labels may be out of order (packed B-frames: 1 or 2)

CutMethod = Literal["copy", "transcode"]


class ClipError(VideoLensError):
    """No clip can be cut; the message says why, for the user."""


class _NoDecodeTimes(Exception):
    """The container gives no decode timestamps, which a stream copy needs."""


@dataclass(frozen=True)
class CutResult:
    """What was cut: where the clip's first picture is in the source, and where the last ends."""

    start_s: float
    end_s: float
    method: CutMethod

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class _Keyframe:
    pts: int
    time_s: float


def cut_clip(
    source: Path,
    target: Path,
    start_s: float,
    end_s: float,
    *,
    max_copy_lead_s: float = MAX_COPY_LEAD_S,
) -> CutResult:
    """Write ``[start_s, end_s)`` of ``source`` (seconds from its first frame) to ``target``.

    Raises :class:`ClipError` when the video cannot be read or nothing can be decoded there.
    """
    container = open_container(source)
    try:
        if not container.streams.video:
            raise ClipError(f"{display_name(source)} has no video stream")
        video = container.streams.video[0]
        keyframe = None
        if video.codec_context.name in _COPY_VIDEO:
            try:
                keyframe = _keyframe_at_or_before(container, video, start_s)
            except (_NoDecodeTimes, av.FFmpegError, OSError):
                keyframe = None  # no copy: the transcode reads it again, or says why it cannot
    finally:
        container.close()
    copy = keyframe is not None and start_s - keyframe.time_s <= max_copy_lead_s + _EPS
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with (
            av.open(str(source)) as inp,
            av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"}) as out,
        ):
            retime_lying_avi(inp, source)  # as open_container does: the true rate's times
            # Every stream is added before the first packet is written (the header goes first).
            in_video = inp.streams.video[0]
            video = (
                out.add_stream_from_template(in_video) if copy else _video_encoder(out, in_video)
            )
            audio = audio_stream(out, inp.streams.audio[0]) if inp.streams.audio else None
            if keyframe is not None and copy:
                result = _copy_video(inp, out, video, keyframe, end_s)
            else:
                result = _transcode_video(inp, out, video, start_s, end_s)
            if audio is not None:
                write_audio(inp, out, audio, result.start_s, result.end_s)
        os.replace(partial, target)
    except (av.FFmpegError, OSError) as err:
        raise ClipError(
            f"cutting {display_name(source)} failed ({av_reason(err)}); it may be damaged there"
        ) from err
    finally:
        partial.unlink(missing_ok=True)
    return result


def _seconds(pts: int, origin: int, time_base: Fraction) -> float:
    return float((pts - origin) * time_base)


def _timed_packets(container: Any, stream: Any) -> Iterator[Any]:
    for packet in container.demux(stream):
        if packet.pts is None:
            continue  # the demuxer's flush packet
        if packet.dts is None:
            raise _NoDecodeTimes
        yield packet


def _keyframe_at_or_before(container: Any, stream: Any, at_s: float) -> _Keyframe | None:
    """The last keyframe shown at or before ``at_s``, from the packets (nothing decoded)."""
    origin, time_base = stream_origin(stream), stream.time_base
    for target in seek_targets(at_s):
        seek(container, stream, target)
        found = None
        for packet in _timed_packets(container, stream):
            if _seconds(packet.dts, origin, time_base) > at_s + _EPS:
                break  # every later packet is shown after ``at_s``
            shown = _seconds(packet.pts, origin, time_base)
            if packet.is_keyframe and shown <= at_s + _EPS:
                found = (
                    _Keyframe(packet.pts, shown)
                    if found is None or packet.pts > found.pts
                    else found
                )
        if found is not None:
            return found
    return None


def _from_keyframe(inp: Any, source: Any, keyframe: _Keyframe) -> Iterator[Any]:
    """The video packets from ``keyframe`` on, in decode order."""
    origin, time_base = stream_origin(source), source.time_base
    for target in seek_targets(keyframe.time_s):
        seek(inp, source, target)
        packets = _timed_packets(inp, source)
        for packet in packets:
            if packet.is_keyframe and packet.pts == keyframe.pts:
                return itertools.chain([packet], packets)
            if _seconds(packet.dts, origin, time_base) > keyframe.time_s + _EPS:
                break  # the seek landed after it: go further back
    raise ClipError("the keyframe before the clip could not be read again")


def _copy_video(inp: Any, out: Any, stream: Any, keyframe: _Keyframe, end_s: float) -> CutResult:
    source = inp.streams.video[0]
    origin, time_base = stream_origin(source), source.time_base
    pending: list[Any] = []  # packets after the last one shown before the end, in decode order
    last_end = keyframe.pts
    retimed = is_retimed(source)
    for packet in _from_keyframe(inp, source, keyframe):
        # Leading pictures of an open GOP are shown before the keyframe and need the GOP before.
        if packet.pts < keyframe.pts:
            continue
        if _seconds(packet.dts, origin, time_base) >= end_s - _EPS:
            break  # decoded at or after the end: shown there too
        pending.append(packet)
        if _seconds(packet.pts, origin, time_base) < end_s - _EPS:
            for kept in pending:
                if retimed:  # FFmpeg's duration follows the header's false rate
                    kept.duration = packet_ticks(kept, source)
                last_end = max(last_end, kept.pts + (kept.duration or 0))
                kept.pts -= keyframe.pts
                kept.dts -= keyframe.pts
                kept.stream = stream
                out.mux(kept)
            pending.clear()
    return CutResult(keyframe.time_s, _seconds(last_end, origin, time_base), "copy")


def _transcode_video(inp: Any, out: Any, stream: Any, start_s: float, end_s: float) -> CutResult:
    source = inp.streams.video[0]
    source.thread_type = "AUTO"
    origin, time_base = stream_origin(source), source.time_base
    frame_s = float(1 / _rate(source))
    first_pts: int | None = None
    first_s = last_s = 0.0
    last_pts = -1
    for shown_s, frame in _frames_from(inp, source, start_s, frame_s):
        if shown_s + frame_s <= start_s + _EPS:
            continue  # gone from the screen before the start
        if shown_s >= end_s - _EPS:
            break
        if first_pts is None:
            first_pts, first_s = origin + round(shown_s / time_base), shown_s
        pts = max(origin + round(shown_s / time_base) - first_pts, last_pts + 1)
        last_pts, last_s = pts, shown_s
        out.mux(stream.encode(_encodable(frame, stream, pts, time_base)))
    if first_pts is None:
        raise ClipError(f"no picture could be decoded between {start_s:.3f} s and {end_s:.3f} s")
    out.mux(stream.encode(None))
    return CutResult(first_s, last_s + frame_s, "transcode")


def _frames_from(inp: Any, source: Any, start_s: float, frame_s: float) -> Iterator[Any]:
    """(time, frame) from a seek whose first decoded picture is on screen at ``start_s``."""
    for target in seek_targets(start_s):
        seek(inp, source, target)
        frames = _timed_frames(inp, source, frame_s)
        first = next(frames, None)
        if first is not None and (first[0] <= start_s + _EPS or target == 0.0):
            return itertools.chain([first], frames)
    return iter(())


def _timed_frames(inp: Any, source: Any, frame_s: float) -> Iterator[tuple[float, Any]]:
    """(time, frame) in the order the decoder outputs them, which is the order they are shown.

    An AVI with packed B-frames labels them with its packets' times, which run in decode order
    (Megamind.avi's frames come out as 6.006 s, then 5.964 s). Each frame takes the smallest
    label among the next few, which puts the labels back in order; a frame without one follows
    the latest.
    """
    origin, time_base = stream_origin(source), source.time_base
    frames: deque[Any] = deque()
    labels: list[float] = []  # a heap
    latest: float | None = None
    for packet in inp.demux(source):
        try:
            decoded = packet.decode()
        except av.InvalidDataError:
            continue  # a damaged packet loses its frames, not the whole clip
        for frame in decoded:
            if frame.pts is not None:
                label = _seconds(frame.pts, origin, time_base)
            elif latest is not None:
                label = latest + frame_s
            elif packet.dts is not None:
                label = _seconds(packet.dts, origin, time_base)
            else:
                continue
            latest = label if latest is None else max(latest, label)
            heapq.heappush(labels, label)
            frames.append(frame)
            if len(frames) > _REORDER_WINDOW:
                yield heapq.heappop(labels), frames.popleft()
    while frames:
        yield heapq.heappop(labels), frames.popleft()


def _rate(source: Any) -> Fraction:
    return true_frame_rate(source) or Fraction(25)


def _video_encoder(out: Any, source: Any) -> Any:
    stream = out.add_stream(VIDEO_ENCODER, rate=_rate(source))
    # yuv420p (what every player decodes) needs even sizes.
    stream.width = max(2, source.codec_context.width // 2 * 2)
    stream.height = max(2, source.codec_context.height // 2 * 2)
    stream.pix_fmt = "yuv420p"
    stream.time_base = source.time_base
    if source.codec_context.sample_aspect_ratio:
        stream.codec_context.sample_aspect_ratio = source.codec_context.sample_aspect_ratio
    stream.options = {"preset": "veryfast", "crf": "20"}
    return stream


def _encodable(frame: Any, stream: Any, pts: int, time_base: Fraction) -> Any:
    converted = frame
    if (frame.format.name, frame.width, frame.height) != ("yuv420p", stream.width, stream.height):
        converted = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
    # The source's time base: the muxer changes the stream's once the header is written.
    converted.pts, converted.time_base = pts, time_base
    return converted
