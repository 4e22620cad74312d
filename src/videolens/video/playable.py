"""A copy of a video that every browser plays: H.264 (+ AAC) in MP4, made with PyAV.

Browsers play MP4/WebM with H.264, VP8/VP9 or AV1 video and AAC, MP3, Opus or Vorbis audio; an
AVI (MPEG-4 part 2, MS-MPEG4, Cinepak), an MPEG-2 program stream or a WMV gives a dead player.
:func:`make_playable` remuxes the streams into MP4 when their codecs allow it (no quality lost,
seconds even for long videos) and transcodes what they do not (libx264 ships in PyAV's wheels).
Both stream packet by packet and frame by frame, so memory stays flat for any length; the result
is written beside the target and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.container

from videolens.errors import VideoLensError
from videolens.video.avi_rate import retime_lying_avi, true_frame_rate

# What browsers play, by container (PyAV's format names) and codec (FFmpeg's decoder names).
_PLAYABLE_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"}
_BROWSER_VIDEO = {"h264", "vp8", "vp9", "av1"}
_BROWSER_AUDIO = {"aac", "mp3", "opus", "vorbis"}
# What may be copied into MP4 unchanged.
_MP4_VIDEO = {"h264"}
_MP4_AUDIO = {"aac", "mp3"}

VIDEO_ENCODER = "libx264"
AUDIO_ENCODER = "aac"
AUDIO_RATES = (48000, 44100, 32000, 24000, 22050, 16000)


class PlayableError(VideoLensError):
    """No browser-playable copy can be made; the message says why, for the user.

    ``lasting`` is false when the cause is the moment's, not the file's (a full disk, a read or
    write the system refused): trying again later may work, so the reason must not be kept.
    """

    def __init__(self, message: str, *, lasting: bool = True) -> None:
        super().__init__(message)
        self.lasting = lasting


@dataclass(frozen=True)
class MediaCodecs:
    """The container and first video/audio codecs of a file, as FFmpeg names them."""

    container: str
    video: str | None
    audio: str | None

    @property
    def browser_playable(self) -> bool:
        """Whether browsers play the file as it is."""
        if self.container not in _PLAYABLE_CONTAINERS or self.video not in _BROWSER_VIDEO:
            return False
        if self.container.startswith("matroska") and self.video == "h264":
            return False  # Chromium plays H.264 in WebM/MKV, Firefox and Safari do not
        return self.audio is None or self.audio in _BROWSER_AUDIO

    @property
    def remuxable(self) -> bool:
        """Whether the video stream can be copied into MP4 as it is."""
        return self.video in _MP4_VIDEO


def media_codecs(path: Path) -> MediaCodecs:
    """The container and codecs of ``path``; :class:`PlayableError` if PyAV cannot open it."""
    try:
        with av.open(str(path)) as container:
            video = (
                container.streams.video[0].codec_context.name if container.streams.video else None
            )
            audio = (
                container.streams.audio[0].codec_context.name if container.streams.audio else None
            )
            return MediaCodecs(container.format.name, video, audio)
    except (av.FFmpegError, OSError) as err:
        raise PlayableError(
            f"the video cannot be read: {err}", lasting=not isinstance(err, OSError)
        ) from err


def make_playable(source: Path, target: Path) -> Path:
    """Write a browser-playable MP4 of ``source`` to ``target`` (remux or transcode)."""
    codecs = media_codecs(source)
    if codecs.video is None:
        raise PlayableError("the file has no video stream")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        _convert(source, partial, codecs)
        os.replace(partial, target)
    except av.FFmpegError as err:
        # PyAV's errors for a system call (ENOSPC, EIO, ...) are OSErrors: the moment's fault.
        raise PlayableError(
            f"converting {codecs.video} video for the browser failed: {err}",
            lasting=not isinstance(err, OSError),
        ) from err
    finally:
        partial.unlink(missing_ok=True)
    return target


def _convert(source: Path, target: Path, codecs: MediaCodecs) -> None:
    with (
        av.open(str(source)) as inp,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        retime_lying_avi(inp, source)  # the copy plays at the true rate, not the header's lie
        in_video = inp.streams.video[0]
        in_audio = inp.streams.audio[0] if inp.streams.audio else None
        copy_video = codecs.remuxable
        copy_audio = in_audio is not None and codecs.audio in _MP4_AUDIO
        out_video = (
            out.add_stream_from_template(in_video) if copy_video else _video_encoder(out, in_video)
        )
        out_audio = None
        if in_audio is not None:
            out_audio = (
                out.add_stream_from_template(in_audio)
                if copy_audio
                else _audio_encoder(out, in_audio)
            )
        resampler = (
            av.AudioResampler(format="fltp", layout="stereo", rate=out_audio.rate, frame_size=1024)
            if out_audio is not None and not copy_audio
            else None
        )
        streams = [in_video] + ([in_audio] if in_audio is not None else [])
        last_pts = -1
        for packet in inp.demux(streams):
            if packet.stream is in_video:
                if copy_video:
                    _copy(packet, out_video, out)
                else:
                    for frame in _decoded(packet):
                        # AVI has no presentation times, only an order that packed B-frames
                        # scramble; the encoder needs them increasing.
                        pts = last_pts + 1 if frame.pts is None else max(frame.pts, last_pts + 1)
                        last_pts = pts
                        out.mux(out_video.encode(_even(frame, pts)))
            elif out_audio is not None:
                if copy_audio:
                    _copy(packet, out_audio, out)
                elif resampler is not None:
                    for frame in _decoded(packet):
                        assert isinstance(frame, av.AudioFrame)
                        for chunk in resampler.resample(frame):
                            out.mux(out_audio.encode(chunk))
        if not copy_video:
            out.mux(out_video.encode(None))
        if resampler is not None and out_audio is not None:
            for chunk in resampler.resample(None):
                out.mux(out_audio.encode(chunk))
            out.mux(out_audio.encode(None))


def _decoded(packet: av.Packet[Any]) -> list[av.frame.Frame]:
    # A damaged packet loses its frames, not the whole copy (Debian's Megamind_bugy.avi).
    try:
        return list(packet.decode())
    except av.InvalidDataError:
        return []


def _copy(
    packet: av.Packet[Any], stream: av.stream.Stream, out: av.container.OutputContainer
) -> None:
    if packet.dts is None:
        return  # the demuxer's flush packet
    packet.stream = stream
    out.mux(packet)


def _video_encoder(
    out: av.container.OutputContainer, source: av.video.stream.VideoStream
) -> av.video.stream.VideoStream:
    rate = true_frame_rate(source) or Fraction(25)
    stream = out.add_stream(VIDEO_ENCODER, rate=rate)
    assert isinstance(stream, av.VideoStream)
    # yuv420p (what browsers decode) needs even sizes; the sample aspect ratio keeps the shape.
    stream.width = source.codec_context.width // 2 * 2
    stream.height = source.codec_context.height // 2 * 2
    stream.pix_fmt = "yuv420p"
    stream.time_base = source.time_base or Fraction(1, 90000)
    if source.codec_context.sample_aspect_ratio:
        stream.codec_context.sample_aspect_ratio = source.codec_context.sample_aspect_ratio
    stream.options = {"preset": "veryfast", "crf": "23", "profile": "high"}
    return stream


def _audio_encoder(
    out: av.container.OutputContainer, source: av.audio.stream.AudioStream
) -> av.audio.stream.AudioStream:
    rate = next((r for r in AUDIO_RATES if r <= (source.codec_context.sample_rate or 48000)), 16000)
    stream = out.add_stream(AUDIO_ENCODER, rate=rate)
    assert isinstance(stream, av.AudioStream)
    stream.layout = "stereo"
    stream.bit_rate = 128_000
    return stream


def _even(frame: av.frame.Frame, pts: int) -> av.VideoFrame:
    assert isinstance(frame, av.VideoFrame)
    width, height = frame.width // 2 * 2, frame.height // 2 * 2
    converted = frame
    if frame.format.name != "yuv420p" or (width, height) != (frame.width, frame.height):
        converted = frame.reformat(width=width, height=height, format="yuv420p")
        converted.time_base = frame.time_base
    converted.pts = pts
    return converted
