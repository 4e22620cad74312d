"""Moment clips cut from generated videos whose frames show their own index.

A stream copy (H.264 in MP4, a keyframe every second) starts on the keyframe at or before the
asked start and ends within the decoder's reorder delay after the asked end, with the original
packets; a transcode (a far keyframe, MPEG-4 part 2 or MJPEG in AVI) starts on the frame on
screen at the asked start. Every clip is decoded, and its frames' counters say what was cut.
"""

from __future__ import annotations

import threading
from pathlib import Path

import av
import numpy as np
import pytest

from clip_media import CounterClip, decoded_numbers, keyframe_indexes, write_counter_clip
from real_media import opencv_data_file
from videolens.errors import InvalidVideoError
from videolens.video.clips import (
    MAX_CLIP_S,
    Clip,
    ClipRequestError,
    VideoGoneError,
    clip_of,
    clip_window,
    clock,
    parse_clip_time,
    session_video,
)

# x264's B-frames may put up to this many later-shown frames before the last one asked for.
REORDER_FRAMES = 2


@pytest.fixture(scope="module")
def h264(tmp_path_factory: pytest.TempPathFactory) -> CounterClip:
    """12 s of H.264 in MP4 with AAC audio, a keyframe every 25 frames (1 s) exactly."""
    path = tmp_path_factory.mktemp("h264") / "gop25.mp4"
    return write_counter_clip(path, gop=25, audio_codec="aac")


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory: pytest.TempPathFactory) -> CounterClip:
    """12 s of H.264 with keyframes at 0 s and 10 s only."""
    return write_counter_clip(tmp_path_factory.mktemp("long") / "gop250.mp4", gop=250)


def _stream_facts(path: Path) -> dict[str, object]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        return {
            "format": container.format.name,
            "video": video.codec_context.name,
            "audio": audio.codec_context.name if audio else None,
            "audio_s": float(audio.duration * audio.time_base) if audio and audio.duration else 0,
        }


def _check_frames(clip: Clip, source: CounterClip, first: int, last: int) -> list[int]:
    """The clip decodes to exactly frames ``first``..``last`` of the source, in order and timed
    from 0 at the source's rate, and its reported start and duration say so."""
    numbers, times = decoded_numbers(clip.path)
    assert numbers == list(range(first, last + 1))
    assert times == pytest.approx([i / source.fps for i in range(len(numbers))], abs=1e-3)
    assert clip.start_s == pytest.approx(first / source.fps)
    assert clip.duration_s == pytest.approx(len(numbers) / source.fps)
    return numbers


def test_a_stream_copy_starts_on_the_keyframe_before_and_lasts_as_asked(
    h264: CounterClip, tmp_path: Path
) -> None:
    assert keyframe_indexes(h264.path)[:5] == [0, 25, 50, 75, 100]
    clip = clip_of(h264.path, tmp_path / "clips", parse_clip_time("0:05.5"), 2, 3)
    assert clip.method == "copy" and not clip.cached
    assert (clip.window.start_s, clip.window.end_s) == (3.5, 8.5)
    # Within one GOP before the asked start: on the keyframe at 3.0 s (frame 75).
    assert clip.window.start_s - h264.gop / h264.fps <= clip.start_s <= clip.window.start_s
    end_frame = round(clip.window.end_s * h264.fps)  # frames 0..212 are shown before 8.5 s
    numbers, _ = decoded_numbers(clip.path)
    assert end_frame - 1 <= numbers[-1] <= end_frame - 1 + REORDER_FRAMES
    _check_frames(clip, h264, 75, numbers[-1])
    assert clip.start_s + clip.duration_s == pytest.approx(8.5, abs=REORDER_FRAMES / h264.fps)
    facts = _stream_facts(clip.path)
    assert facts["video"] == "h264" and facts["audio"] == "aac"
    assert facts["audio_s"] == pytest.approx(clip.duration_s, abs=0.1)
    # Copied, not encoded again: the clip's first packet is the source's keyframe, byte for byte.
    with av.open(str(h264.path)) as source, av.open(str(clip.path)) as cut:
        stream = source.streams.video[0]
        keyframe = next(
            bytes(p)
            for p in source.demux(stream)
            if p.pts is not None and p.pts * stream.time_base == 3
        )
        assert bytes(next(cut.demux(video=0))) == keyframe


def test_a_far_keyframe_makes_a_transcode_that_starts_at_the_asked_time(
    long_gop: CounterClip, tmp_path: Path
) -> None:
    assert keyframe_indexes(long_gop.path) == [0, 250]
    clip = clip_of(long_gop.path, tmp_path / "clips", 6.0, 1.0, 2.0)
    assert clip.method == "transcode"
    _check_frames(clip, long_gop, 125, 199)  # 5.0 s to 8.0 s, to the frame
    assert clip.duration_s == pytest.approx(3.0)
    # A start on the keyframe itself (10 s) is copied even with a long GOP.
    assert clip_of(long_gop.path, tmp_path / "clips", 11.0, 1.0, 0.5).method == "copy"


@pytest.mark.parametrize(
    ("codec", "audio_codec"), [("mpeg4", "pcm_s16le"), ("mjpeg", None)], ids=["mpeg4", "mjpeg"]
)
def test_avi_that_mp4_cannot_hold_is_transcoded_to_h264_and_aac(
    codec: str, audio_codec: str | None, tmp_path: Path
) -> None:
    source = write_counter_clip(
        tmp_path / f"{codec}.avi", codec=codec, container_format="avi", audio_codec=audio_codec
    )
    clip = clip_of(source.path, tmp_path / "clips", 5.5, 2.0, 3.0)
    assert clip.method == "transcode"
    # Frame 87 is on screen at 3.5 s (3.48 to 3.52); frame 212 is the last shown before 8.5 s.
    _check_frames(clip, source, 87, 212)
    assert clip.window.start_s - 1 / source.fps < clip.start_s <= clip.window.start_s
    facts = _stream_facts(clip.path)
    assert facts["format"].startswith("mov,mp4") and facts["video"] == "h264"
    if audio_codec:
        assert facts["audio"] == "aac"
        assert facts["audio_s"] == pytest.approx(clip.duration_s, abs=0.1)
    else:
        assert facts["audio"] is None


@pytest.mark.parametrize(
    ("fmt", "method", "first"),
    [("mpegts", "copy", 75), ("mov", "copy", 75), ("matroska", "transcode", 87)],
)
def test_other_containers_cut_at_the_right_frames(
    fmt: str, method: str, first: int, tmp_path: Path
) -> None:
    """MPEG-TS seeks land after the target (even for 0 s): the cut seeks again further back.
    H.264 in Matroska has no decode times to copy with, so it is transcoded."""
    source = write_counter_clip(tmp_path / f"clip.{fmt}", container_format=fmt, audio_codec="aac")
    clip = clip_of(source.path, tmp_path / "clips", 5.5, 2.0, 3.0)
    assert clip.method == method
    numbers, _ = decoded_numbers(clip.path)
    assert numbers[0] == first and 212 <= numbers[-1] <= 212 + REORDER_FRAMES
    _check_frames(clip, source, first, numbers[-1])
    assert _stream_facts(clip.path)["audio_s"] == pytest.approx(clip.duration_s, abs=0.1)
    for at in (0.3, 1.2):  # windows from the very start of the file
        numbers, _ = decoded_numbers(clip_of(source.path, tmp_path / "clips", at, 2, 3).path)
        assert numbers[0] == 0 and numbers[-1] >= round((at + 3) * source.fps) - 1


def _grey_thumbnails(path: Path) -> tuple[list[float], list[np.ndarray]]:
    """Every frame of ``path`` in the order the decoder outputs them (the order they are shown),
    as 32x18 grey thumbnails, with the frames' time labels sorted into that order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        labels = sorted(float(f.pts * stream.time_base) for f in frames)
        return labels, [
            f.to_ndarray(width=32, height=18, format="gray").astype(float) for f in frames
        ]


def test_real_footage_mpeg4_with_packed_b_frames_and_ac3_sound(tmp_path: Path) -> None:
    """Megamind.avi (Debian's opencv-doc): MPEG-4 part 2 with packed B-frames, whose time labels
    come out of order (6.006 s before 5.964 s), and AC-3 sound. The clip holds the source's
    pictures in order from the one on screen at the asked start."""
    megamind = opencv_data_file("Megamind.avi")
    labels, source = _grey_thumbnails(megamind)
    rate = 1 / (labels[1] - labels[0])
    for at in (5.0, 9.0):  # asked starts 2.0 s and 6.0 s (a B-frame's time)
        clip = clip_of(megamind, tmp_path / "clips", at, 3.0, 5.0)
        assert clip.method == "transcode"
        assert clip.window.start_s - 1 / rate < clip.start_s <= clip.window.start_s
        # It lasts from the picture on screen at the start to the one on screen at the end.
        end_s = clip.start_s + clip.duration_s
        assert clip.window.end_s <= end_s + 1e-3 < clip.window.end_s + 1 / rate
        first = labels.index(pytest.approx(clip.start_s, abs=1e-3))
        _, cut = _grey_thumbnails(clip.path)
        assert len(cut) == round(clip.duration_s * rate)
        mismatch = {
            offset: float(
                np.mean(
                    [
                        np.abs(a - b).mean()
                        for a, b in zip(cut, source[first + offset :], strict=False)
                    ]
                )
            )
            for offset in (-1, 0, 1)
        }
        assert mismatch[0] < 3.0 and mismatch[0] < min(mismatch[-1], mismatch[1]), mismatch
        facts = _stream_facts(clip.path)
        assert (facts["video"], facts["audio"]) == ("h264", "aac")
        assert facts["audio_s"] == pytest.approx(clip.duration_s, abs=0.1)


def test_the_window_is_clamped_to_the_video(h264: CounterClip, tmp_path: Path) -> None:
    early = clip_of(h264.path, tmp_path / "clips", 0.5, 3.0, 1.0)
    assert (early.window.start_s, early.window.end_s) == (0.0, 1.5)
    numbers, _ = decoded_numbers(early.path)
    assert numbers[0] == 0 and numbers[-1] >= 36
    late = clip_of(h264.path, tmp_path / "clips", 11.9, 1.0, 5.0)
    assert late.window.end_s == 12.0
    numbers, _ = decoded_numbers(late.path)
    assert numbers[0] == 250 and numbers[-1] == h264.frames - 1


def test_a_clip_is_cut_once_for_concurrent_requests_then_served_from_the_session(
    h264: CounterClip, tmp_path: Path
) -> None:
    clips_dir = tmp_path / "clips"
    results: list[Clip] = []
    threads = [
        threading.Thread(target=lambda: results.append(clip_of(h264.path, clips_dir, 4, 1, 1)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len({r.path for r in results}) == 1
    assert sorted(r.cached for r in results) == [False, True, True, True]
    assert [p.name for p in clips_dir.iterdir() if "partial" in p.name] == []
    inode = results[0].path.stat().st_ino
    again = clip_of(h264.path, clips_dir, 4, 1, 1)
    assert again.cached and again.path.stat().st_ino == inode  # not cut again
    assert (again.start_s, again.duration_s) == (results[0].start_s, results[0].duration_s)
    # The same window asked another way is the same clip.
    assert clip_of(h264.path, clips_dir, 3.5, 0.5, 1.5).path == again.path


def test_the_least_recently_used_clips_are_removed(h264: CounterClip, tmp_path: Path) -> None:
    clips_dir = tmp_path / "clips"
    first = clip_of(h264.path, clips_dir, 2, 1, 1, max_cached=2)
    second = clip_of(h264.path, clips_dir, 5, 1, 1, max_cached=2)
    clip_of(h264.path, clips_dir, 2, 1, 1, max_cached=2)  # used again: kept
    third = clip_of(h264.path, clips_dir, 8, 1, 1, max_cached=2)
    kept = sorted(p.name for p in clips_dir.glob("*.mp4"))
    assert kept == sorted([first.path.name, third.path.name])
    assert not second.path.with_suffix(".json").exists()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("83", 83.0),
        ("83.5", 83.5),
        ("83s", 83.0),
        ("1:23", 83.0),
        ("01:23.5", 83.5),
        ("90:00", 5400.0),
        ("1:01:23", 3683.0),
        ("[01:23]", 83.0),
    ],
)
def test_times_as_seconds_mm_ss_and_h_mm_ss(text: str, seconds: float) -> None:
    assert parse_clip_time(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "before the start"),
        ("abc", "not a time"),
        ("", "not a time"),
        ("1:75", "up to 59"),
        ("1:60:00", "up to 59"),
        ("1.2.3", "not a time"),
        ("nan", "not a time"),
    ],
)
def test_a_bad_time_is_named(text: str, message: str) -> None:
    with pytest.raises(ClipRequestError, match=message) as caught:
        parse_clip_time(text)
    assert caught.value.field == "t"


@pytest.mark.parametrize(
    ("at", "before", "after", "field", "message"),
    [
        (13.0, 3, 5, "t", "00:13.0 is outside the video, which lasts 00:12.0"),
        (-1.0, 3, 5, "t", "outside the video"),
        (5.0, -1, 5, "before", "before must be 0 or more seconds, not -1"),
        (5.0, 3, float("nan"), "after", "after must be 0 or more seconds"),
        (5.0, 100, 30, "before", f"at most {MAX_CLIP_S:g} s; 100 s before and 30 s after"),
        (12.0, 0, 5, "after", "nothing to cut at 00:12.0"),
    ],
    ids=["past-the-end", "negative-time", "negative-before", "nan-after", "too-long", "empty"],
)
def test_a_bad_span_is_named(
    at: float, before: float, after: float, field: str, message: str
) -> None:
    with pytest.raises(ClipRequestError, match=message) as caught:
        clip_window(at, before, after, 12.0)
    assert caught.value.field == field


def test_a_session_without_its_video_says_so(tmp_path: Path) -> None:
    gone = tmp_path / "uploads" / "holiday.mp4"
    with pytest.raises(VideoGoneError, match=r"\(holiday.mp4\) is no longer there") as caught:
        session_video({"video": {"path": str(gone)}})
    assert str(tmp_path) not in str(caught.value)  # no server path in the message
    with pytest.raises(VideoGoneError):
        session_video({"video": {}})


def test_a_file_that_is_not_a_video_is_a_clear_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video\n" * 50)
    with pytest.raises(InvalidVideoError, match=r"notes\.mp4 is not a video file"):
        clip_of(notes, tmp_path / "clips", 1.0)
    assert not (tmp_path / "clips").exists()


def test_clock() -> None:
    assert clock(83.56) == "01:23"
    assert clock(83.56, 2) == "01:23.56"
    assert clock(3.48, 2) == "00:03.48"
    assert clock(3723.5, 1) == "1:02:03.5"
