"""Contact sheets: N thumbnails in a grid, each the right frame, each labelled with its time
(read back with the OCR the offline analyzer uses)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from clip_media import CounterClip, counter_image, frame_number, write_counter_clip
from videolens.video.contact_sheet import (
    SheetError,
    Tile,
    encode_sheet,
    render_sheet,
    session_sheet,
    sheet_format,
    spread,
    tiles_from_video,
)

TILE_W = 320  # the counter clip's width: tiles are its frames at full size
TILE_H = 180
GAP, HEADER = 4, 36


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> CounterClip:
    return write_counter_clip(tmp_path_factory.mktemp("sheet") / "counter.mp4", gop=50)


def _tile(sheet: np.ndarray, i: int, columns: int) -> np.ndarray:
    row, column = divmod(i, columns)
    top, left = HEADER + GAP + row * (TILE_H + GAP), GAP + column * (TILE_W + GAP)
    return sheet[top : top + TILE_H, left : left + TILE_W]


def _label(tile: np.ndarray) -> str:
    from videolens.backends.basic.ocr import TextReader

    corner = tile[TILE_H - 40 :, : TILE_W // 2]
    # Upscaled: the recogniser reads small white-on-black digits better at twice the size.
    lines = TextReader().read(cv2.resize(corner, None, fx=2, fy=2))
    return " ".join(lines).replace(" ", "")


def test_frames_from_the_video_are_evenly_spaced_and_labelled_with_their_times(
    video: CounterClip,
) -> None:
    tiles = tiles_from_video(video.path, 6)
    # The middle of 6 equal parts of 12 s: 1, 3, 5, 7, 9 and 11 s.
    assert [t.time_s for t in tiles] == pytest.approx([1, 3, 5, 7, 9, 11])
    sheet = render_sheet(tiles, title="counter.mp4")
    columns = 3
    assert sheet.shape == (HEADER + 2 * (TILE_H + GAP) + GAP, columns * (TILE_W + GAP) + GAP, 3)
    for i, seconds in enumerate([1, 3, 5, 7, 9, 11]):
        tile = _tile(sheet, i, columns)
        assert frame_number(tile) == seconds * video.fps  # the right picture in the right place
        assert _label(tile) == f"00:{seconds:02d}"


def test_a_session_sheet_spreads_its_moments_and_reads_only_its_own_frames(
    video: CounterClip, tmp_path: Path
) -> None:
    frames_dir = tmp_path / "session" / "frames"
    frames_dir.mkdir(parents=True)
    frames = []
    for index in range(0, 300, 10):  # 30 moments, every 0.4 s
        path = frames_dir / f"{index:06d}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(counter_image(index, video.fps), cv2.COLOR_RGB2BGR))
        frames.append({"index": index, "timestamp_s": index / video.fps, "image": str(path)})
    outside = tmp_path / "elsewhere.jpg"
    cv2.imwrite(str(outside), np.zeros((10, 10, 3), np.uint8))
    frames.append({"index": 999, "timestamp_s": 0.1, "image": str(outside)})
    document = {"video": {"path": str(video.path), "duration_s": 12.0}, "frames": frames}

    sheet = session_sheet(document, frames_dir, 4)
    assert sheet.source == "moments"
    assert sheet.times_s == pytest.approx([0.0, 4.0, 7.6, 11.6])  # first, last and between
    shown = [frame_number(_tile(sheet.image, i, 2)) for i in range(4)]
    assert shown == [0, 100, 190, 290]
    # Fewer moments than asked: frames of the video instead.
    from_video = session_sheet({**document, "frames": frames[:3]}, frames_dir, 12)
    assert from_video.source == "video" and len(from_video.times_s) == 12
    # No video either: what moments there are.
    gone = {"video": {"path": str(tmp_path / "gone.mp4")}, "frames": frames[:3]}
    assert session_sheet(gone, frames_dir, 12).times_s == pytest.approx([0.0, 0.4, 0.8])


def test_sheets_encode_as_jpeg_or_png() -> None:
    tiles = [Tile(float(i), np.full((90, 160, 3), 40 * i, np.uint8)) for i in range(5)]
    image = render_sheet(tiles)
    assert image.shape[1] == 3 * (TILE_W + GAP) + GAP  # 5 tiles: 3 columns, 2 rows
    assert encode_sheet(image)[:3] == b"\xff\xd8\xff"
    assert encode_sheet(image, "png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert sheet_format(Path("a.PNG")) == "png" and sheet_format(Path("b.jpeg")) == "jpeg"


def test_spread_keeps_the_first_and_the_last() -> None:
    assert spread(30, 4) == [0, 10, 19, 29]
    assert spread(3, 12) == [0, 1, 2]
    assert spread(5, 1) == [0]
    assert spread(0, 4) == []


@pytest.mark.parametrize("n", [0, 101])
def test_a_bad_count_is_a_clear_error(video: CounterClip, tmp_path: Path, n: int) -> None:
    with pytest.raises(SheetError, match=f"1 to 100 thumbnails, not {n}"):
        session_sheet({"video": {"path": str(video.path)}}, tmp_path, n)


def test_nothing_to_show_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SheetError, match="no analysed moments and its video is gone"):
        session_sheet({"video": {"path": str(tmp_path / "gone.mp4")}}, tmp_path, 4)
    with pytest.raises(SheetError, match=r"written as \.jpg or \.png"):
        sheet_format(Path("sheet.gif"))
