"""The audio of a clip: the source's packets when MP4 takes its codec (AAC, MP3), else AAC
encoded from the decoded sound. Written in a second pass, once the pictures' span is known."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import av

from videolens.video.decode import stream_origin
from videolens.video.playable import AUDIO_ENCODER, AUDIO_RATES
from videolens.video.seeking import seek, seek_targets

_COPY_AUDIO = {"aac", "mp3"}
# Audio is stored a little ahead of or behind the video in most files: read it from this far
# before the clip so that its first packets are not missed.
_AUDIO_SLACK_S = 1.0
_EPS = 1e-6


def audio_stream(out: Any, source: Any) -> Any:
    """The clip's audio stream: a copy of the source's, or an AAC encoder."""
    if source.codec_context.name in _COPY_AUDIO:
        return out.add_stream_from_template(source)
    rate = next((r for r in AUDIO_RATES if r <= (source.codec_context.sample_rate or 48000)), 16000)
    stream = out.add_stream(AUDIO_ENCODER, rate=rate)
    stream.layout = "stereo"
    return stream


def write_audio(inp: Any, out: Any, stream: Any, start_s: float, end_s: float) -> None:
    """The sound of ``[start_s, end_s)`` (seconds from the video's first frame) into ``stream``,
    timed so that it starts with the clip's first picture."""
    video, source = inp.streams.video[0], inp.streams.audio[0]
    # Both streams are timed on one clock; the clip's times are from the video's first frame.
    video_origin = float(stream_origin(video) * video.time_base)
    start, end = video_origin + start_s, video_origin + end_s
    packets = _packets_from(inp, video, source, start, max(0.0, start_s - _AUDIO_SLACK_S))
    if source.codec_context.name not in _COPY_AUDIO:
        _transcode(packets, out, stream, start, end)
        return
    shift = round(start / source.time_base)
    for packet in packets:
        at = float(packet.pts * source.time_base)
        if at >= end - _EPS:
            break
        if at >= start - _EPS and packet.dts is not None:
            packet.pts -= shift
            packet.dts -= shift
            packet.stream = stream
            out.mux(packet)


def _packets_from(inp: Any, video: Any, source: Any, start: float, seek_s: float) -> Any:
    """Audio packets from a seek whose first packet is heard at or before ``start``."""
    for target in seek_targets(seek_s):
        seek(inp, video, target)
        packets = (p for p in inp.demux(source) if p.pts is not None)
        first = next(packets, None)
        if first is None:
            return iter(())
        if float(first.pts * source.time_base) <= start + _EPS or target == 0.0:
            return itertools.chain([first], packets)
    return iter(())  # pragma: no cover - seek_targets always ends at 0


def _transcode(packets: Any, out: Any, stream: Any, start: float, end: float) -> None:
    rate = stream.codec_context.sample_rate
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate, frame_size=1024)
    written: int | None = None
    for frame in _decoded(packets):
        at = float(frame.pts * frame.time_base)
        if at >= end - _EPS:
            break
        if at < start - _EPS:
            continue
        if written is None:
            written = round((at - start) * rate)  # the first frame may begin a little late
        written = _encode(out, stream, resampler.resample(frame), written)
    if written is not None:
        _encode(out, stream, resampler.resample(None), written)
    out.mux(stream.encode(None))


def _decoded(packets: Any) -> Iterator[Any]:
    for packet in packets:
        try:
            frames = packet.decode()
        except av.InvalidDataError:
            continue  # a damaged packet loses its sound, not the clip
        yield from (frame for frame in frames if frame.pts is not None)


def _encode(out: Any, stream: Any, chunks: list[Any], written: int) -> int:
    """Encode resampled ``chunks`` one after another from sample ``written``; the next sample."""
    for chunk in chunks:
        chunk.pts, chunk.time_base = written, Fraction(1, stream.codec_context.sample_rate)
        written += chunk.samples
        out.mux(stream.encode(chunk))
    return written
