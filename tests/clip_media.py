"""Test videos whose every frame says which frame it is, with a known keyframe interval (GOP).

Each frame carries its index as 16 black/white blocks across the top (bit 0 on the left), large
enough to survive any lossy codec and a downscaled thumbnail; the background colour changes every
second, so a person looking at a clip sees the seconds go by. ``frame_number`` reads the index
back from a decoded frame or an image, so a test can check which frames a cut kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

WIDTH, HEIGHT = 320, 180
BITS = 16
BLOCK_H = 40  # the counter's rows; the blocks are WIDTH // BITS wide
AUDIO_RATE = 16000


@dataclass(frozen=True)
class CounterClip:
    """What was written: the file, its rate, keyframe interval (frames) and length."""

    path: Path
    fps: int
    gop: int
    frames: int
    codec: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps


def counter_image(index: int, fps: int, width: int = WIDTH, height: int = HEIGHT) -> NDArray[Any]:
    """The RGB picture of frame ``index``: the counter's blocks over a colour for its second."""
    second = index // fps
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = ((second * 67) % 200 + 40, (second * 29) % 160 + 60, 200 - (second * 41) % 160)
    block_w = width // BITS
    for bit in range(BITS):
        image[:BLOCK_H, bit * block_w : (bit + 1) * block_w] = 255 if index >> bit & 1 else 0
    return image


def frame_number(picture: Any) -> int:
    """The index a counter frame shows: ``picture`` is a PyAV frame or a grey/BGR/RGB array
    (of any width: the blocks are found by proportion)."""
    if isinstance(picture, av.VideoFrame):
        grey = picture.to_ndarray(format="gray")
    else:
        grey = picture if picture.ndim == 2 else picture.mean(axis=2)
    height, width = grey.shape[:2]
    block_w = width / BITS
    rows = slice(round(height * 5 / HEIGHT), round(height * (BLOCK_H - 5) / HEIGHT))
    value = 0
    for bit in range(BITS):
        left, right = round((bit + 0.25) * block_w), round((bit + 0.75) * block_w)
        if grey[rows, left:right].mean() > 128:
            value |= 1 << bit
    return value


def write_counter_clip(
    path: Path,
    *,
    seconds: float = 12.0,
    fps: int = 25,
    gop: int = 25,
    codec: str = "libx264",
    container_format: str | None = None,
    audio_codec: str | None = None,
) -> CounterClip:
    """Encode a counter clip with a keyframe every ``gop`` frames exactly (no scene-cut
    keyframes: the colour changes every second would otherwise add some).

    ``libx264`` keeps its B-frames, so a stream copy must cope with frames stored out of order.
    ``audio_codec`` (e.g. ``aac``, ``pcm_s16le``) adds a 440 Hz tone for the whole length.
    """
    frames = round(seconds * fps)
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = WIDTH, HEIGHT
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        stream.codec_context.gop_size = gop
        if codec == "libx264":
            stream.options = {
                "preset": "veryfast",
                "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0",
            }
        elif codec == "mpeg4":
            stream.options = {"sc_threshold": "1000000000", "qscale": "3"}
            stream.codec_context.qscale = 3
        audio = _tone_stream(out, audio_codec) if audio_codec else None
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(counter_image(index, fps), format="rgb24")
            frame = frame.reformat(format=stream.pix_fmt)
            frame.pts, frame.time_base = index, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if audio is not None:
            _write_tone(out, audio, frames / fps)
    return CounterClip(path=path, fps=fps, gop=gop, frames=frames, codec=codec)


def _tone_stream(out: Any, codec: str) -> Any:
    stream = out.add_stream(codec, rate=AUDIO_RATE)
    stream.layout = "mono"
    return stream


def _write_tone(out: Any, stream: Any, seconds: float) -> None:
    chunk, total, pts = 1024, int(seconds * AUDIO_RATE), 0
    sample_format = stream.codec_context.format.name
    while pts < total:
        times = (np.arange(pts, pts + chunk) / AUDIO_RATE).reshape(1, -1)
        wave = 0.3 * np.sin(2 * np.pi * 440 * times)
        if sample_format.startswith("s16"):
            samples = (wave * 32767).astype(np.int16)
        else:
            samples = wave.astype(np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format=sample_format, layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, pts, Fraction(1, AUDIO_RATE)
        out.mux(stream.encode(frame))
        pts += chunk
    out.mux(stream.encode(None))


def keyframe_indexes(path: Path) -> list[int]:
    """The frame indexes of the keyframes, read from the packets (no decoding)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        origin = stream.start_time or 0
        rate = stream.average_rate or stream.guessed_rate
        assert rate is not None
        found = []
        for packet in container.demux(stream):
            if packet.pts is not None and packet.is_keyframe:
                found.append(round((packet.pts - origin) * stream.time_base * rate))
        return sorted(found)


def decoded_numbers(path: Path) -> tuple[list[int], list[float]]:
    """Every frame of ``path``'s video, decoded: the counter each shows and its time (s)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        origin = stream.start_time or 0
        numbers, times = [], []
        for frame in container.decode(stream):
            numbers.append(frame_number(frame))
            times.append(float((frame.pts - origin) * stream.time_base))
        return numbers, times
