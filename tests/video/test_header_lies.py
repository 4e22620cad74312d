"""Headers that lie about a video's length or rate: probing finds out or refuses in one sentence,
and sampling keeps ``max_frames`` as a hard limit at any length."""

from __future__ import annotations

import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

import hostile_media
from real_media import opencv_data_file
from videolens.errors import InvalidVideoError
from videolens.video.probe import probe_video
from videolens.video.sampling import sample_video
from videolens.video.segments import MAX_SEGMENTS, floor_for_budget, plan_segments
from videolens.video.types import SamplingOptions, compute_coverage


def test_an_avi_whose_stream_rate_may_be_true_is_refused_in_one_sentence(
    tmp_path: Path,
) -> None:
    """250 frames/s is a rate video is shot at: nothing says which of the two headers lies."""
    path = hostile_media.avi(tmp_path / "slow.avi")
    hostile_media.lie_about_avi_rate(path, rate=hostile_media.PLAUSIBLE_LIE)
    with pytest.raises(InvalidVideoError) as caught:
        probe_video(path)
    message = str(caught.value)
    assert message.startswith("slow.avi's header contradicts itself: its video stream says 250")
    assert "(100 frames over 0:00.4)" in message
    assert "file header says 25 frames/s" in message
    assert "\n" not in message and message.endswith("and try again.")


def _vtest_with_rate(tmp_path: Path, scale: int, rate: int, total_frames: int = 795) -> Path:
    """vtest.avi (795 frames at 10 frames/s) with its ``strh`` rate and ``avih`` frame count
    rewritten."""
    data = bytearray(opencv_data_file("vtest.avi").read_bytes())
    struct.pack_into("<II", data, data.index(b"strh") + 28, scale, rate)
    struct.pack_into("<I", data, data.index(b"avih") + 24, total_frames)
    path = tmp_path / "vtest.avi"
    path.write_bytes(bytes(data))
    return path


def _sampled(path: Path, out: Path) -> tuple[list[float], list[bytes]]:
    samples = sample_video(path, SamplingOptions(max_frames=40), out)
    frames = [frame for sample in samples for frame in sample.frames]
    return [f.timestamp_s for f in frames], [Path(f.path).read_bytes() for f in frames]


def test_real_vtest_with_its_rate_rewritten_is_retimed_to_its_true_rate(tmp_path: Path) -> None:
    """The probe's own case: vtest.avi claiming 1/1000 frames/s (795,000 s) while its file
    header says 10 frames/s and counts its 795 frames, which advance one tick each. It is timed
    at 10 frames/s, and its sampled frames are the real file's, at the real file's times."""
    path = _vtest_with_rate(tmp_path, 1000, 1)
    started = time.monotonic()
    info = probe_video(path)
    assert time.monotonic() - started < 5.0
    assert (info.fps, info.duration_s, info.frame_count) == (10.0, 79.5, 795)
    assert info.header_note.startswith("its video stream's header says 0.001 frames/s but its")
    assert "timed at 10 frames/s" in info.header_note
    times, images = _sampled(path, tmp_path / "retimed")
    real_times, real_images = _sampled(opencv_data_file("vtest.avi"), tmp_path / "real")
    assert len(times) > 5
    assert times == real_times and max(times) > 60.0
    assert images == real_images


def test_a_rewritten_rate_is_refused_where_the_file_header_is_not_about_its_frames(
    tmp_path: Path,
) -> None:
    """The file header counts 400 frames where the stream holds 795: its rate cannot be
    trusted either, so the lie is refused as before, not re-timed."""
    path = _vtest_with_rate(tmp_path, 1000, 1, total_frames=400)
    with pytest.raises(InvalidVideoError, match=r"795 frames over 220:50:00\.0.* 10 frames/s"):
        probe_video(path)


def test_a_rewritten_file_header_is_not_taken_for_the_truth(tmp_path: Path) -> None:
    """The stream says 25 frames/s and the file header 1 frame every 1000 s: the stream's rate
    is a real one, so nothing is re-timed; the file is refused as contradicting itself."""
    path = hostile_media.avi(tmp_path / "slow.avi")
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.index(b"avih") + 8, 1_000_000_000)
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidVideoError, match="its video stream says 25 frames/s"):
        probe_video(path)


def test_the_suggested_reencode_gives_the_true_length(tmp_path: Path) -> None:
    """The command the message suggests turns the refused AVI back into its 4 s."""
    path = hostile_media.avi(tmp_path / "slow.avi")
    hostile_media.lie_about_avi_rate(path, rate=hostile_media.PLAUSIBLE_LIE)
    with pytest.raises(InvalidVideoError) as caught:
        probe_video(path)
    command = str(caught.value).split("(e.g. ")[1].split(")")[0].split()
    if shutil.which(command[0]) is None:
        pytest.skip("ffmpeg CLI not installed")
    command = [
        str(tmp_path / word) if word.endswith((".avi", ".mp4")) else word for word in command
    ]
    subprocess.run([command[0], "-v", "error", *command[1:]], check=True)
    assert probe_video(tmp_path / "out.mp4").duration_s == pytest.approx(4.0, abs=0.05)


def test_an_avi_that_lies_consistently_is_taken_at_its_word_with_a_bounded_plan(
    tmp_path: Path,
) -> None:
    """Both headers say 1000 s a frame: nothing in the file tells otherwise, so its 100 frames
    span 100,000 s; the plan stays small and within max_frames."""
    path = hostile_media.avi(tmp_path / "slow.avi")
    hostile_media.lie_about_avi_rate(path, file_header_too=True)
    info = probe_video(path)
    assert info.duration_s == pytest.approx(100_000.0)
    assert info.frame_count == 100
    plan = plan_segments(info, SamplingOptions(max_frames=300), 60.0)
    assert len(plan) <= MAX_SEGMENTS
    assert sum(s.max_frames for s in plan) == 300


def test_an_mp4_whose_mdhd_says_too_little_is_planned_at_its_frames_length(
    tmp_path: Path,
) -> None:
    path = hostile_media.rewrite_mdhd_duration(hostile_media.mp4(tmp_path / "short.mp4"), 1 / 8)
    info = probe_video(path)
    assert info.duration_s == pytest.approx(4.0, abs=0.05)
    assert info.header_note == (
        "its header says 0:00.5 but its frames run to 0:04.0; the frames' length is used"
    )


def test_an_mp4_whose_mdhd_says_ten_hours_is_planned_at_its_frames_length(
    tmp_path: Path,
) -> None:
    path = hostile_media.rewrite_mdhd_duration(hostile_media.mp4(tmp_path / "long.mp4"), 9000)
    info = probe_video(path)
    assert info.duration_s == pytest.approx(4.0, abs=0.05)
    assert info.header_note == ""


def test_an_honest_file_has_no_header_note(tmp_path: Path) -> None:
    assert probe_video(hostile_media.mp4(tmp_path / "plain.mp4")).header_note == ""
    assert probe_video(hostile_media.avi(tmp_path / "plain.avi")).header_note == ""


def test_ten_hours_at_one_frame_a_second_keep_at_most_max_frames(tmp_path: Path) -> None:
    """Before: each 60 s segment kept at least one frame, 600 frames against max_frames 300."""
    video = hostile_media.ten_hour_video(tmp_path / "ten_hours.mp4")
    info = probe_video(video)
    assert info.duration_s == pytest.approx(36_000.0)
    floor = floor_for_budget(info.duration_s, 240, 5.0)
    options = SamplingOptions(floor_interval_s=floor, max_frames=300)
    samples = sample_video(video, options, tmp_path / "frames")
    times = [frame.timestamp_s for sample in samples for frame in sample.frames]
    assert len(samples) <= MAX_SEGMENTS
    assert 240 <= len(times) <= 300
    coverage = compute_coverage(times, info.duration_s, floor_s=floor)
    assert coverage.max_gap_s <= floor + 1.0
