"""Sizes as displayed: the sample aspect ratio and the display rotation, in probe and in frames."""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from videolens.video.probe import probe_video
from videolens.video.sampling import sample_segment
from videolens.video.segments import floor_for_budget
from videolens.video.types import SamplingOptions, Segment, compute_coverage


def _write(path: Path, width: int, height: int, *, sar: Fraction | None = None,
           rotation: int = 0) -> None:  # fmt: skip
    pixels = np.full((height, width, 3), 80, np.uint8)
    pixels[: height // 4, : width // 4] = 255  # a white block in the stored top-left corner
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("h264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if sar is not None:
            stream.codec_context.sample_aspect_ratio = sar
        if rotation:
            stream.set_display_rotation(rotation)
        for _ in range(10):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())


def _first_frame(path: Path, out: Path, max_side: int = 2048) -> np.ndarray:
    segment = Segment(index=0, start_s=0.0, end_s=0.4, max_frames=5)
    frame = sample_segment(str(path), segment, SamplingOptions(max_side=max_side), out).frames[0]
    image = cv2.imread(frame.path, cv2.IMREAD_GRAYSCALE)
    assert image is not None and (frame.width, frame.height) == (image.shape[1], image.shape[0])
    return image


def test_pal_anamorphic_clip_is_sized_as_displayed(tmp_path: Path) -> None:
    path = tmp_path / "pal.mp4"
    _write(path, 704, 576, sar=Fraction(16, 11))
    info = probe_video(path)
    assert (info.width, info.height) == (1024, 576)
    assert (info.coded_width, info.coded_height) == (704, 576)
    assert info.sample_aspect_ratio == pytest.approx(16 / 11, rel=1e-4)
    assert _first_frame(path, tmp_path / "full").shape == (576, 1024)
    assert _first_frame(path, tmp_path / "fit", max_side=768).shape == (432, 768)


def test_rotated_clip_is_sized_and_stored_upright(tmp_path: Path) -> None:
    path = tmp_path / "phone.mp4"
    _write(path, 320, 176, rotation=90)
    info = probe_video(path)
    assert info.rotation == 90
    assert (info.width, info.height) == (176, 320)
    assert (info.coded_width, info.coded_height) == (320, 176)
    image = _first_frame(path, tmp_path / "out")
    assert image.shape == (320, 176)
    assert image[-40:, :20].mean() > 200  # turned 90 degrees counter-clockwise: bottom-left


def test_rotation_written_by_the_ffmpeg_cli_is_honoured(tmp_path: Path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg CLI not installed")
    plain = tmp_path / "plain.mp4"
    _write(plain, 320, 176)
    rotated = tmp_path / "rotated.mp4"
    # The mp4 muxer turns the legacy "rotate" tag into a display matrix (ffprobe: -270).
    command = [ffmpeg, "-v", "error", "-i", str(plain), "-c", "copy",
               "-metadata:s:v:0", "rotate=90", str(rotated)]  # fmt: skip
    subprocess.run(command, check=True, timeout=60)
    info = probe_video(rotated)
    assert info.rotation == 90 and (info.width, info.height) == (176, 320)
    image = _first_frame(rotated, tmp_path / "out")
    assert image.shape == (320, 176)
    assert image[-40:, :20].mean() > 200  # as ffmpeg shows it: the block is bottom-left


def test_floor_for_budget_and_coverage() -> None:
    assert floor_for_budget(60.0, 300, 2.0) == 2.0
    assert floor_for_budget(3600.0, 300, 2.0) == 12.0
    assert floor_for_budget(0.0, 10, 5.0) == 5.0
    with pytest.raises(ValueError):
        floor_for_budget(60.0, 0, 2.0)
    with pytest.raises(ValueError):
        floor_for_budget(60.0, 10, 0.0)
    coverage = compute_coverage([0.0, 2.0, 4.0], 5.0, floor_s=2.0)
    assert (coverage.max_gap_s, coverage.floor_s, coverage.frames) == (2.0, 2.0, 3)
