"""Low-level PyAV helpers shared by probing and sampling: open, decode robustly, thumbnail, save.

Every PyAV failure is turned into an ``InvalidVideoError`` with one sentence a user can act on;
no raw ``av`` exception leaves this package.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from videolens.errors import InvalidVideoError
from videolens.video.avi_rate import retime_lying_avi
from videolens.video.types import SamplingOptions

log = logging.getLogger(__name__)

Thumb = NDArray[np.int16]

# Thumbnail grid for frame differencing: 64x36 luma plus 32x18 of each chroma plane. Small enough
# that differencing costs ~10 µs, large enough that a caption or a moving object still registers.
# Chroma is included because two shots of similar brightness but different colour (red vs blue)
# differ little in luma alone.
THUMB_W, THUMB_H = 64, 36

# 8-bit planar YUV formats whose planes we can sample in place (no conversion of the full frame).
_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"}


def display_name(path: str | os.PathLike[str]) -> str:
    """The file name shown in messages (never the full server-side path)."""
    return Path(path).name or str(path)


def av_reason(exc: BaseException) -> str:
    """A short lower-case reason from a PyAV/OS error, without the path or error codes."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(reason).strip().rstrip(".").lower()


def open_container(path: str | os.PathLike[str]) -> Any:
    """Open ``path`` for reading with PyAV, or raise ``InvalidVideoError``.

    An AVI whose stream header's rate is a certain lie is re-timed to its true rate here
    (``avi_rate``), so that every reader of the video reads true times."""
    name = display_name(path)
    try:
        container = av.open(str(path), mode="r")
        retime_lying_avi(container, path)
        return container
    except FileNotFoundError as exc:
        raise InvalidVideoError(f"{name} does not exist; check the path.") from exc
    except IsADirectoryError as exc:
        raise InvalidVideoError(f"{name} is a folder, not a video file.") from exc
    except PermissionError as exc:
        raise InvalidVideoError(f"{name} cannot be read (permission denied).") from exc
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidVideoError(
            f"{name} is not a video file PyAV can read ({av_reason(exc)}); "
            "it may be truncated or corrupt."
        ) from exc


def stream_origin(stream: Any) -> int:
    """The pts of the stream's start (timestamps are reported from 0 at this point)."""
    start = stream.start_time
    return int(start) if start is not None else 0


def iter_frames(
    container: Any, stream: Any, *, max_packets: int | None = None
) -> Iterator[tuple[float, Any]]:
    """Decode ``stream`` from the container's current position: (seconds from start, frame).

    Undecodable packets are skipped with a warning; a demuxer error ends the stream early (what
    was decoded before it still counts). Frames come in presentation order. ``max_packets``
    bounds how much is read (for a quick look at the start of a file).
    """
    origin = stream_origin(stream)
    num, den = stream.time_base.numerator, stream.time_base.denominator
    packets = container.demux(stream)
    skipped = read = 0
    while max_packets is None or read < max_packets:
        read += 1
        try:
            packet = next(packets)
        except StopIteration:
            break
        except (av.FFmpegError, OSError) as exc:
            log.warning("stopped reading %s early: %s", container.name, av_reason(exc))
            break
        try:
            frames = packet.decode()
        except (av.FFmpegError, ValueError) as exc:
            skipped += 1
            if skipped <= 3:
                log.warning("skipped an undecodable packet in %s: %s", container.name, exc)
            continue
        for frame in frames:
            if frame.pts is None:
                continue
            # Integer maths first keeps timestamps exact (2.0, not 2.0000000000000004).
            yield (frame.pts - origin) * num / den, frame
    if skipped:
        log.warning("skipped %d undecodable packets in %s", skipped, container.name)


def thumbnail(frame: Any) -> Thumb:
    """A tiny YUV thumbnail of ``frame`` (flattened, int16) for differencing.

    For 8-bit planar YUV (nearly every H.264/HEVC/VP9 stream) the planes are sampled in place on a
    grid, which costs microseconds; other formats are scaled down by swscale first.
    """
    if frame.format.name not in _PLANAR_YUV:
        frame = frame.reformat(width=THUMB_W, height=THUMB_H, format="yuv420p")
    y, u, v = frame.planes[0], frame.planes[1], frame.planes[2]
    return np.concatenate(
        (
            _grid(y, THUMB_W, THUMB_H),
            _grid(u, THUMB_W // 2, THUMB_H // 2),
            _grid(v, THUMB_W // 2, THUMB_H // 2),
        )
    ).astype(np.int16)


def _grid(plane: Any, cols: int, rows: int) -> NDArray[np.uint8]:
    """``cols`` x ``rows`` samples spread evenly over ``plane`` (a view, then one small copy)."""
    width, height = plane.width, plane.height
    pixels = np.frombuffer(plane, dtype=np.uint8).reshape(height, plane.line_size)
    step_y, step_x = max(1, height // rows), max(1, width // cols)
    sample = pixels[step_y // 2 :: step_y, step_x // 2 : width : step_x][:rows, :cols]
    if sample.shape != (rows, cols):  # a plane smaller than the grid: stretch it to fit
        sample = np.asarray(
            cv2.resize(np.ascontiguousarray(sample), (cols, rows), interpolation=cv2.INTER_NEAREST),
            dtype=np.uint8,
        )
    return sample.reshape(-1)


def mean_abs_diff(a: Thumb, b: Thumb) -> float:
    """Mean absolute difference of two thumbnails, 0-255."""
    return float(np.abs(a - b).mean())


def fit_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled down (never up) so the longest side is at most ``max_side``.

    Sizes are even, which every swscale output format accepts.
    """
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def sample_aspect_ratio(stream: Any) -> float:
    """Width of one stored pixel relative to its height (1.0 when unknown or nonsensical)."""
    for source in (stream.codec_context, stream):
        ratio = getattr(source, "sample_aspect_ratio", None)
        if ratio and 0.1 <= float(ratio) <= 10.0:
            return float(ratio)
    return 1.0


def display_size(width: int, height: int, sample_aspect: float, rotation: int) -> tuple[int, int]:
    """The size a player shows: the width scaled by the sample aspect ratio, then turned."""
    shown = (max(1, round(width * sample_aspect)), height)
    return (shown[1], shown[0]) if (rotation // 90) % 2 else shown


def save_sampled(frame: Any, path: Path, options: SamplingOptions, stream: Any) -> tuple[int, int]:
    """Write a frame the sampler kept from ``stream`` (a file's or a live source's): upright, at
    its displayed aspect ratio, sized and compressed as ``options`` say; return its size."""
    return save_jpeg(
        frame,
        path,
        max_side=options.max_side,
        quality=options.jpeg_quality,
        rotation=int(getattr(frame, "rotation", 0) or 0),
        sample_aspect=sample_aspect_ratio(stream),
    )


def save_jpeg(
    frame: Any,
    path: Path,
    *,
    max_side: int,
    quality: int,
    rotation: int,
    sample_aspect: float = 1.0,
) -> tuple[int, int]:
    """Write ``frame`` as displayed (sample aspect ratio applied, turned upright), resized to fit
    ``max_side``, to ``path`` as a JPEG; return the JPEG's size (w, h).

    The file appears atomically (temp file + rename), so a reader never sees half a JPEG.
    """
    # Scale the stored pixels straight to the displayed shape (one swscale pass): a 704x576
    # frame with 16:11 pixels becomes 1024x576 before fitting ``max_side``.
    width, height = fit_size(round(frame.width * sample_aspect), frame.height, max_side)
    pixels = frame.to_ndarray(width=width, height=height, format="bgr24")
    turns = (rotation // 90) % 4
    if turns:
        pixels = np.ascontiguousarray(np.rot90(pixels, k=turns))
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - cv2 only fails here on out-of-memory
        raise OSError(f"could not encode {path.name} as JPEG")
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(encoded.tobytes())
    partial.replace(path)
    return int(pixels.shape[1]), int(pixels.shape[0])
