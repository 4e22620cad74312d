"""Videos whose headers lie, made by the test: an AVI whose stream header says 1/1000 frames/s,
an MP4 whose ``mdhd`` duration is rewritten, and a 10-hour 1 fps video."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

LYING_RATE = (1, 1000)
"""The rate (dwRate, dwScale) the stream header is rewritten to: 1/1000 frames/s."""
PLAUSIBLE_LIE = (250, 1)
"""A rewritten rate that video could have (250 frames/s): nothing says which header is true."""


def avi(path: Path, frames: int = 100, fps: int = 25) -> Path:
    """A small MJPEG AVI of ``frames`` changing frames at ``fps``."""
    with av.open(str(path), mode="w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuvj420p"
        for i in range(frames):
            picture = np.full((120, 160, 3), (i * 7) % 256, np.uint8)
            picture[:, (i * 3) % 160] = 255
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def lie_about_avi_rate(
    path: Path, *, file_header_too: bool = False, rate: tuple[int, int] = LYING_RATE
) -> Path:
    """Rewrite the video stream header's rate to ``rate`` (``strh`` dwRate, dwScale: 1/1000
    frames/s by default); with ``file_header_too`` also the file header's microseconds a frame
    (``avih``), so the file agrees with itself and only its length gives the lie away."""
    data = bytearray(path.read_bytes())
    strh = data.index(b"strh")
    per_second, scale = rate
    struct.pack_into("<II", data, strh + 28, scale, per_second)
    if file_header_too:
        avih = data.index(b"avih")
        struct.pack_into("<I", data, avih + 8, 1_000_000 * scale // per_second)
    path.write_bytes(bytes(data))
    return path


def mp4(path: Path, frames: int = 100, fps: int = 25) -> Path:
    """A small H.264 MP4 of ``frames`` changing frames at ``fps``, a keyframe every second."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("h264", rate=fps, options={"g": str(fps)})
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(frames):
            picture = np.full((120, 160, 3), (i * 7) % 256, np.uint8)
            picture[:, (i * 3) % 160] = 255
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())
    return path


def rewrite_mdhd_duration(path: Path, factor: float) -> Path:
    """Multiply the video track's ``mdhd`` duration by ``factor`` (version 0 or 1 boxes)."""
    data = bytearray(path.read_bytes())
    mdhd = data.index(b"mdhd")
    if data[mdhd + 4] == 0:
        at, form = mdhd + 20, ">I"
    else:
        at, form = mdhd + 28, ">Q"
    (duration,) = struct.unpack_from(form, data, at)
    struct.pack_into(form, data, at, int(duration * factor))
    path.write_bytes(bytes(data))
    return path


def ten_hour_video(path: Path) -> Path:
    """10 hours at 1 frame/s of ffmpeg's ``testsrc2``, 64x48 (~17 MB, a few seconds to make)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg CLI not installed")
    command = [
        ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=1",
        "-t", "36000", "-c:v", "libx264", "-preset", "ultrafast", "-g", "600",
        "-pix_fmt", "yuv420p", str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return path
