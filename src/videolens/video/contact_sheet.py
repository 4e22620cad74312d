"""A contact sheet: one image of N thumbnails of a video, each with its time, for a quick look.

The thumbnails are a session's analysed moments spread evenly over the list when there are at
least N of them (their JPEGs are already on disk), else frames decoded from the video at N
evenly spaced times (the middle of N equal parts), else whatever moments there are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from videolens.errors import VideoLensError
from videolens.video.clips import clock, session_video, video_duration_s
from videolens.video.decode import display_name, iter_frames, open_container, sample_aspect_ratio
from videolens.video.seeking import seek

DEFAULT_TILES = 12
MAX_TILES = 100
TILE_WIDTH = 320
SheetFormat = Literal["jpeg", "png"]
SheetSource = Literal["moments", "video"]
Image = NDArray[np.uint8]

_GAP = 4
_HEADER_H = 36
_BACKGROUND = (32, 32, 32)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


class SheetError(VideoLensError):
    """No contact sheet can be made; the message says why, for the user."""


@dataclass(frozen=True)
class Tile:
    """One thumbnail (BGR) and the time it shows, in seconds from the video's first frame."""

    time_s: float
    image: Image


@dataclass(frozen=True)
class Sheet:
    """The sheet (BGR), where its thumbnails came from, and their times."""

    image: Image
    source: SheetSource
    times_s: tuple[float, ...]


def spread(count: int, n: int) -> list[int]:
    """``min(n, count)`` indexes of ``range(count)`` spread evenly, the first and last included."""
    if count <= 0 or n <= 0:
        return []
    if n >= count:
        return list(range(count))
    if n == 1:
        return [0]
    return [round(i * (count - 1) / (n - 1)) for i in range(n)]


def check_tiles(n: int) -> int:
    """``n`` if it is a number of thumbnails a sheet can hold, else :class:`SheetError`."""
    if not 1 <= n <= MAX_TILES:
        raise SheetError(f"a contact sheet holds 1 to {MAX_TILES} thumbnails, not {n}")
    return n


def session_sheet(document: dict[str, Any], frames_dir: Path, n: int = DEFAULT_TILES) -> Sheet:
    """The contact sheet of a session (see the module's docstring for where tiles come from).

    Only frame images inside ``frames_dir`` are read: a document never points the sheet at
    another file.
    """
    check_tiles(n)
    moments = _moment_images(document, frames_dir)
    tiles: list[Tile]
    source: SheetSource = "moments"
    if len(moments) >= n:
        tiles = [_read_tile(*moments[i]) for i in spread(len(moments), n)]
    else:
        try:
            video = session_video(document)
        except VideoLensError:
            video = None
        if video is not None:
            tiles, source = tiles_from_video(video, n), "video"
        elif moments:
            tiles = [_read_tile(*moment) for moment in moments]
        else:
            raise SheetError("this session has no analysed moments and its video is gone")
    title = f"{_title(document)}  -  {len(tiles)} {'moments' if source == 'moments' else 'frames'}"
    return Sheet(render_sheet(tiles, title=title), source, tuple(t.time_s for t in tiles))


def _title(document: dict[str, Any]) -> str:
    video = document.get("video") or {}
    name = document.get("filename") or display_name(str(video.get("path") or "video"))
    duration = video.get("duration_s")
    return f"{name}  ({clock(float(duration))})" if duration else str(name)


def _moment_images(document: dict[str, Any], frames_dir: Path) -> list[tuple[float, Path]]:
    root = frames_dir.resolve()
    found = []
    for frame in document.get("frames") or []:
        path = Path(str(frame.get("image") or "")).resolve()
        if path.is_relative_to(root) and path.is_file():
            found.append((float(frame["timestamp_s"]), path))
    return sorted(found, key=lambda item: item[0])


def _read_tile(time_s: float, path: Path) -> Tile:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SheetError(f"the thumbnail {path.name} cannot be read")
    return Tile(time_s, np.asarray(image, dtype=np.uint8))


def tiles_from_video(source: Path, n: int, *, width: int = TILE_WIDTH) -> list[Tile]:
    """``n`` frames of ``source`` at the middle of ``n`` equal parts, ``width`` pixels wide.

    One seek per tile: cheaper than decoding the whole video for a dozen pictures.
    """
    times = [(i + 0.5) * video_duration_s(source) / n for i in range(check_tiles(n))]
    container = open_container(source)
    tiles: list[Tile] = []
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        aspect = sample_aspect_ratio(stream)
        for at_s in times:
            seek(container, stream, at_s)
            for shown_s, frame in iter_frames(container, stream):
                if shown_s >= at_s - 1e-3:
                    tiles.append(Tile(shown_s, _picture(frame, width, aspect)))
                    break
    finally:
        container.close()
    if not tiles:
        raise SheetError(f"no frame of {display_name(source)} could be decoded")
    return tiles


def _picture(frame: Any, width: int, aspect: float) -> Image:
    shown_w = round(frame.width * aspect)
    height = max(2, round(width * frame.height / max(1, shown_w)))
    pixels = frame.to_ndarray(width=width, height=height, format="bgr24")
    turns = (round((getattr(frame, "rotation", 0) or 0) / 90)) % 4
    return np.ascontiguousarray(np.rot90(pixels, k=turns)) if turns else pixels


def render_sheet(tiles: Sequence[Tile], *, title: str = "", tile_width: int = TILE_WIDTH) -> Image:
    """A grid of ``tiles`` (``ceil(sqrt(n))`` columns), each labelled with its time, under
    ``title``. Tiles are fitted into the shape of the first one, letterboxed when they differ."""
    if not tiles:
        raise SheetError("no thumbnails to put on a contact sheet")
    columns = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    first = tiles[0].image
    tile_h = max(2, round(tile_width * first.shape[0] / first.shape[1]))
    header = _HEADER_H if title else 0
    sheet = np.empty(
        (header + rows * (tile_h + _GAP) + _GAP, columns * (tile_width + _GAP) + _GAP, 3),
        dtype=np.uint8,
    )
    sheet[:] = _BACKGROUND
    if title:
        _text(sheet, _ascii(title), (_GAP + 4, 25), 0.6)
    for i, tile in enumerate(tiles):
        row, column = divmod(i, columns)
        top = header + _GAP + row * (tile_h + _GAP)
        left = _GAP + column * (tile_width + _GAP)
        sheet[top : top + tile_h, left : left + tile_width] = _fitted(
            tile.image, tile_width, tile_h
        )
        _label(sheet, clock(tile.time_s), left, top + tile_h)
    return sheet


def _fitted(image: Image, width: int, height: int) -> Image:
    scale = min(width / image.shape[1], height / image.shape[0])
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    box = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    box[top : top + size[1], left : left + size[0]] = resized
    return box


def _label(sheet: Image, text: str, left: int, bottom: int) -> None:
    """White time on a black plate in the tile's lower left corner, as players show it."""
    scale, thickness = 0.7, 2
    (text_w, text_h), baseline = cv2.getTextSize(text, _FONT, scale, thickness)
    pad = 5
    top = bottom - text_h - baseline - 2 * pad
    cv2.rectangle(sheet, (left, top), (left + text_w + 2 * pad, bottom), (0, 0, 0), -1)
    _text(sheet, text, (left + pad, bottom - pad - baseline), scale, thickness)


def _text(
    sheet: Image, text: str, origin: tuple[int, int], scale: float, thickness: int = 1
) -> None:
    cv2.putText(sheet, text, origin, _FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA)


def _ascii(text: str) -> str:
    # OpenCV's Hershey fonts draw ASCII only; anything else would come out as "?" anyway.
    return text.encode("ascii", "replace").decode("ascii")


def encode_sheet(image: Image, fmt: SheetFormat = "jpeg") -> bytes:
    """The sheet as JPEG (quality 88) or PNG bytes."""
    if fmt == "png":
        ok, encoded = cv2.imencode(".png", image)
    else:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])
    if not ok:  # pragma: no cover - OpenCV only fails here on out-of-memory
        raise SheetError("the contact sheet could not be encoded")
    return bytes(encoded.tobytes())


def sheet_format(path: Path) -> SheetFormat:
    """The format a file name asks for: ``.png``, or ``.jpg``/``.jpeg``."""
    suffix = path.suffix.lower()
    if suffix == ".png":
        return "png"
    if suffix in (".jpg", ".jpeg"):
        return "jpeg"
    raise SheetError(f"{path.name}: a contact sheet is written as .jpg or .png")
