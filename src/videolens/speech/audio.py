"""A video's audio track: is there one we can decode, and its samples for a time range.

Times are seconds on the video's timeline, the one frame timestamps use: 0 is where the video
stream starts (``videolens.video.decode.stream_origin``), so speech lines up with frames even
when the audio track starts a little earlier or later. Samples come out as float32 mono 16 kHz,
what Whisper expects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from videolens.speech.types import AudioTrack, AudioUnavailableError
from videolens.video.decode import av_reason, display_name, open_container

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""Samples per second of everything ``decode_audio`` returns."""

Samples = NDArray[np.float32]

# Seek this far before the range: decoders such as AAC need a frame or two to prime, and the
# demuxer lands on the packet at or before the target anyway.
_PREROLL_S = 0.5
# audio_track decodes at most this much from the start to prove the track decodes.
_CHECK_PACKETS = 64
_CHECK_SECONDS = 1.0
# A jump in timestamps larger than this is a gap in the track, filled with silence.
_GAP_S = 0.1


def audio_track(video_path: str | os.PathLike[str]) -> AudioTrack:
    """Whether ``video_path`` has an audio track that PyAV decodes, and how long it is.

    Decodes up to about a second from the start; raises ``InvalidVideoError`` only when the
    file cannot be opened at all.
    """
    name = display_name(video_path)
    container = open_container(video_path)
    try:
        if not container.streams.audio:
            return AudioTrack(status="none", reason=f"{name} has no audio track.")
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            return AudioTrack(
                status="unavailable",
                reason=f"the audio track of {name} uses a codec PyAV has no decoder for.",
                codec="unknown",
            )
        codec = str(stream.codec_context.name)
        why = _decode_check(container, stream)
        if why:
            return AudioTrack(
                status="unavailable",
                reason=f"the {codec} audio track of {name} could not be decoded ({why}).",
                codec=codec,
            )
        duration = _duration_s(container, stream, _origin_s(container))
        return AudioTrack(status="ok", duration_s=round(duration, 3), codec=codec)
    finally:
        container.close()


def decode_audio(
    video_path: str | os.PathLike[str], start_s: float = 0.0, end_s: float | None = None
) -> Samples:
    """The audio of ``[start_s, end_s)`` as float32 mono 16 kHz (``end_s=None``: to the end).

    Seeks once and decodes only the range, so memory is bounded by the range's length (4 bytes
    a sample: 3.8 MB a minute). Undecodable packets are skipped (logged); the result is shorter
    than the range where the track ends early. Raises ``AudioUnavailableError`` when there is no
    audio track, no decoder for it, or no packet of the range decodes.
    """
    if start_s < 0 or (end_s is not None and end_s <= start_s):
        raise ValueError(f"bad audio range [{start_s}, {end_s}): need 0 <= start_s < end_s")
    name = display_name(video_path)
    container = open_container(video_path)
    try:
        if not container.streams.audio:
            raise AudioUnavailableError(f"{name} has no audio track.")
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise AudioUnavailableError(
                f"the audio track of {name} uses a codec PyAV has no decoder for."
            )
        chunks = list(_range_chunks(container, stream, start_s, end_s, name))
    finally:
        container.close()
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks)


def _range_chunks(
    container: Any, stream: Any, start_s: float, end_s: float | None, name: str
) -> Iterator[Samples]:
    """Resampled chunks of ``[start_s, end_s)``, trimmed to the range, gaps filled with zeros."""
    origin = _origin_s(container)
    if start_s > _PREROLL_S:
        target = start_s + origin - _PREROLL_S
        try:
            container.seek(int(target / stream.time_base), stream=stream)
        except (av.FFmpegError, OSError) as exc:  # unseekable: decode from the start instead
            log.warning("cannot seek in %s (%s); decoding from the start", name, av_reason(exc))
            container.seek(0)
    placer = _Placer(None if end_s is None else round((end_s - start_s) * SAMPLE_RATE))
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    expected_s: float | None = None  # where the next decoded frame should start
    for time_s, frame in _frames(container, stream, origin, name):
        if end_s is not None and time_s >= end_s:
            break
        if expected_s is None or time_s - expected_s > _GAP_S:
            # The first frame, or one after a gap: it sits where its timestamp says.
            placer.position = round((time_s - start_s) * SAMPLE_RATE)
        expected_s = time_s + frame.samples / frame.sample_rate
        for out in resampler.resample(frame):
            yield from placer.place(out)
        if placer.full:
            return
    if expected_s is not None:
        for out in resampler.resample(None):
            yield from placer.place(out)


class _Placer:
    """Puts resampled audio where it belongs in the output ``[0, want)`` (index 0 = the range's
    start): what lies before the range is dropped, silence before or between frames becomes
    zeros, and a frame overlapping what was already written is trimmed."""

    def __init__(self, want: int | None) -> None:
        self.want = want
        self.position = 0  # output index of the next resampled sample
        self.written = 0  # output samples yielded so far

    @property
    def full(self) -> bool:
        return self.want is not None and self.written >= self.want

    def place(self, frame: Any) -> Iterator[Samples]:
        samples = np.asarray(frame.to_ndarray(), dtype=np.float32).reshape(-1)
        start, self.position = self.position, self.position + samples.size
        first = max(0, -start, self.written - start)
        last = samples.size if self.want is None else min(samples.size, self.want - start)
        if last <= first:
            return
        if start + first > self.written:
            yield np.zeros(start + first - self.written, dtype=np.float32)
        yield samples[first:last]
        self.written = start + last


def _frames(container: Any, stream: Any, origin: float, name: str) -> Iterator[tuple[float, Any]]:
    """Decoded audio frames with their time on the video's timeline; bad packets skipped."""
    tb = float(stream.time_base)
    read = skipped = 0
    last_error = ""
    expected: float | None = None
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # the demuxer's flush packet
            read += 1
            try:
                frames = packet.decode()
            except (av.FFmpegError, ValueError) as exc:
                skipped += 1
                last_error = av_reason(exc)
                continue
            for frame in frames:
                time_s = frame.pts * tb - origin if frame.pts is not None else expected
                if time_s is None:
                    time_s = 0.0
                expected = time_s + frame.samples / frame.sample_rate
                yield time_s, frame
    except (av.FFmpegError, OSError) as exc:
        log.warning("stopped reading the audio of %s early: %s", name, av_reason(exc))
    if skipped:
        log.warning("skipped %d of %d undecodable audio packets in %s", skipped, read, name)
    if read and skipped == read:
        raise AudioUnavailableError(
            f"the audio track of {name} could not be decoded ({last_error})."
        )


def _decode_check(container: Any, stream: Any) -> str:
    """Why the start of the track does not decode, or "" when it does."""
    decoded = 0.0
    errors: list[str] = []
    for read, packet in enumerate(container.demux(stream)):
        if read >= _CHECK_PACKETS or decoded >= _CHECK_SECONDS:
            break
        if packet.size == 0:
            continue
        try:
            decoded += sum(f.samples / f.sample_rate for f in packet.decode())
        except (av.FFmpegError, ValueError) as exc:
            errors.append(av_reason(exc))
    if decoded > 0:
        return ""
    return errors[-1] if errors else "it holds no audio data"


def _origin_s(container: Any) -> float:
    """Seconds of the timeline's 0: the video stream's start, else the audio's."""
    streams = container.streams.video or container.streams.audio
    stream = streams[0]
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _duration_s(container: Any, stream: Any, origin: float) -> float:
    if stream.duration and stream.time_base:
        start = float((stream.start_time or 0) * stream.time_base)
        return max(0.0, start + float(stream.duration * stream.time_base) - origin)
    if container.duration:
        return float(container.duration / av.time_base)
    # No duration in the headers (some raw or AVI tracks): add up the packets' durations.
    container.seek(0)
    total = sum(
        float(packet.duration * stream.time_base)
        for packet in container.demux(stream)
        if packet.duration
    )
    return total
