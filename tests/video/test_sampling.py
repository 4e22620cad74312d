"""sample_segment on generated clips: interval and adaptive rules, cap, JPEGs, resume, bad data."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from real_media import opencv_data_file
from videolens.errors import InvalidVideoError
from videolens.video.sampling import sample_segment, sample_video
from videolens.video.synthetic import ClipSpec, Shot, write_clip
from videolens.video.types import FrameRef, SamplingOptions, Segment, SegmentCheckpoint

FPS = 25
# Cuts at 3.0, 5.48 (mid-GOP, odd time), 9.0, 11.0 and 14.52 s; colours chosen so that two
# neighbours have similar brightness (red -> blue), which a luma-only detector would miss.
CUT_SHOTS = (
    Shot(3.0, (200, 40, 40), "ONE"),
    Shot(2.48, (30, 120, 200), "TWO"),
    Shot(3.52, (240, 220, 60), ""),
    Shot(2.0, (40, 160, 80), "FOUR"),
    Shot(3.52, (30, 30, 30), "FIVE"),
    Shot(3.48, (120, 60, 160), ""),
)
# A cut tolerance of a few frames: with non-reference frames skipped the cut can show up on the
# next decoded frame.
CUT_TOLERANCE_S = 3 / FPS


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    return write_clip(
        tmp_path_factory.mktemp("clips") / "cuts.mp4", CUT_SHOTS, fps=FPS, width=320, height=180
    )


def whole(spec: ClipSpec, max_frames: int = 300) -> Segment:
    return Segment(index=0, start_s=0.0, end_s=spec.duration_s, max_frames=max_frames)


def gaps(frames: list[FrameRef], end_s: float) -> list[float]:
    times = [0.0, *(f.timestamp_s for f in frames), end_s]
    return [b - a for a, b in itertools.pairwise(times)]


def test_interval_timestamps_are_exact(tmp_path: Path) -> None:
    spec = write_clip(
        tmp_path / "ten.mp4", (Shot(10.0, (90, 90, 90), "TEN"),), fps=FPS, width=320, height=180
    )
    options = SamplingOptions(strategy="interval", interval_s=2.0)
    sample = sample_segment(str(spec.path), whole(spec), options, tmp_path / "frames")
    assert [f.timestamp_s for f in sample.frames] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert [f.index for f in sample.frames] == [0, 50, 100, 150, 200]
    assert {f.reason for f in sample.frames} == {"interval"}
    assert sample.frames_decoded == 250


def test_adaptive_finds_every_cut(cut_clip: ClipSpec, tmp_path: Path) -> None:
    options = SamplingOptions(floor_interval_s=2.0, max_side=160)
    sample = sample_segment(str(cut_clip.path), whole(cut_clip), options, tmp_path)
    assert len(sample.shot_starts_s) == len(cut_clip.cut_times_s)
    for cut, found in zip(cut_clip.cut_times_s, sample.shot_starts_s, strict=True):
        assert cut - 1e-3 <= found <= cut + CUT_TOLERANCE_S
    shots = [f for f in sample.frames if f.reason == "shot"]
    assert [f.timestamp_s for f in shots[1:]] == sample.shot_starts_s
    assert shots[0].timestamp_s == 0.0 and all(f.shot_start for f in shots)
    assert all(f.motion >= 20 for f in shots[1:])
    # The floor holds everywhere (the moving box means no frame is a near-duplicate).
    assert max(gaps(sample.frames, cut_clip.duration_s)) <= 2.0 + CUT_TOLERANCE_S
    indexes = [f.index for f in sample.frames]
    assert len(set(indexes)) == len(indexes) and indexes == sorted(indexes)
    for frame in sample.frames:
        assert frame.index == round(frame.timestamp_s * FPS)
        image = cv2.imread(frame.path)
        assert image is not None and Path(frame.path).is_absolute()
        assert (image.shape[1], image.shape[0]) == (frame.width, frame.height) == (160, 90)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        Path(f.path).name for f in sample.frames
    )


def test_kept_frames_show_the_right_shot(cut_clip: ClipSpec, tmp_path: Path) -> None:
    sample = sample_segment(str(cut_clip.path), whole(cut_clip), SamplingOptions(), tmp_path)
    for frame in sample.frames:
        image = cv2.imread(frame.path)
        assert image is not None
        corner = image[5:20, 5:20].reshape(-1, 3).mean(axis=0)[::-1]  # BGR -> RGB
        expected = cut_clip.shot_at(frame.timestamp_s).color
        assert np.abs(corner - np.array(expected)).max() < 20, frame


def test_cap_keeps_shots_first_and_deletes_evicted_jpegs(
    cut_clip: ClipSpec, tmp_path: Path
) -> None:
    options = SamplingOptions(floor_interval_s=1.0)
    uncapped = sample_segment(str(cut_clip.path), whole(cut_clip), options, tmp_path / "all")
    assert len(uncapped.frames) > 12
    capped = sample_segment(
        str(cut_clip.path), whole(cut_clip, max_frames=7), options, tmp_path / "capped"
    )
    assert len(capped.frames) == 7
    assert sum(f.reason == "shot" for f in capped.frames) == 6  # the start and five cuts
    assert sorted(p.name for p in (tmp_path / "capped").iterdir()) == sorted(
        Path(f.path).name for f in capped.frames
    )


def test_the_floor_holds_on_a_frozen_shot_and_duplicates_add_nothing(tmp_path: Path) -> None:
    frozen = write_clip(
        tmp_path / "frozen.mp4",
        (Shot(12.0, (60, 90, 120), "", False),),
        fps=FPS,
        width=320,
        height=180,
    )
    options = SamplingOptions(floor_interval_s=1.0)
    still = sample_segment(str(frozen.path), whole(frozen), options, tmp_path / "f")
    # The floor is a promise about gaps, even where nothing changes; nothing else is added.
    assert max(gaps(still.frames, 12.0)) <= 1.0 + 1e-6
    # Each floor frame is the latest decoded frame at or before its due time; with B-frames
    # skipped that may be a frame or two early, never late.
    assert [f.reason for f in still.frames] == ["shot"] + ["floor"] * (len(still.frames) - 1)
    assert len(still.frames) <= 13


def _write_frames(path: Path, frames: list[np.ndarray], fps: int = FPS) -> None:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("h264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for pixels in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())


def test_motion_spike_adds_a_frame(tmp_path: Path) -> None:
    grey = np.full((180, 320, 3), 110, np.uint8)
    flash = grey.copy()
    flash[60:120, 120:200] = 250  # a bright object appears: more than motion, less than a cut
    frames = [grey] * 50 + [flash] * 10 + [grey] * 140  # object visible 2.0-2.4 s
    _write_frames(tmp_path / "flash.mp4", frames)
    segment = Segment(index=0, start_s=0.0, end_s=8.0, max_frames=100)
    sample = sample_segment(
        str(tmp_path / "flash.mp4"),
        segment,
        SamplingOptions(floor_interval_s=5.0),
        tmp_path / "out",
    )
    # The object appears (a spike), then leaves (a settled local change: the change rule waits
    # a second after the last kept frame); the floor counts from the last floor or shot frame.
    assert [f.reason for f in sample.frames] == ["shot", "motion", "change", "floor"]
    assert sample.frames[1].timestamp_s == pytest.approx(2.0, abs=CUT_TOLERANCE_S)
    assert 2.4 < sample.frames[2].timestamp_s <= 3.5
    assert sample.frames[3].timestamp_s == pytest.approx(5.0, abs=CUT_TOLERANCE_S)
    images = [cv2.imread(f.path, cv2.IMREAD_GRAYSCALE) for f in sample.frames[1:3]]
    assert images[0] is not None and images[0][80:100, 150:170].mean() > 200
    assert images[1] is not None and images[1][80:100, 150:170].mean() < 150
    assert sample.shot_starts_s == []


def test_rotated_video_is_written_upright(tmp_path: Path) -> None:
    pixels = np.zeros((180, 320, 3), np.uint8)
    pixels[:45, :80] = 255  # a white block in the stored top-left corner
    path = tmp_path / "portrait.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("h264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.set_display_rotation(90)  # counter-clockwise, as a phone held upright writes it
        for _ in range(10):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    segment = Segment(index=0, start_s=0.0, end_s=0.4, max_frames=5)
    frame = sample_segment(str(path), segment, SamplingOptions(), tmp_path / "out").frames[0]
    image = cv2.imread(frame.path, cv2.IMREAD_GRAYSCALE)
    assert image is not None
    assert image.shape == (320, 180) and (frame.width, frame.height) == (180, 320)
    assert image[-40:, :40].mean() > 200  # ffmpeg shows the block bottom-left
    assert image[:40, :40].mean() < 50


@pytest.mark.parametrize("suffix", ["mp4", "ts"])
def test_resume_from_a_checkpoint_gives_the_same_frames(tmp_path: Path, suffix: str) -> None:
    cut_clip = write_clip(tmp_path / f"cuts.{suffix}", CUT_SHOTS, fps=FPS, width=320, height=180)
    options = SamplingOptions(floor_interval_s=1.0)
    segment = whole(cut_clip, max_frames=9)  # small cap: eviction happens on both sides
    seen: list[SegmentCheckpoint] = []
    reference = sample_segment(
        str(cut_clip.path),
        segment,
        options,
        tmp_path / "ref",
        on_checkpoint=seen.append,
        checkpoint_every_s=0.0,
    )
    assert len(seen) > 100 and seen[-1].frames == reference.frames

    class Crash(Exception):
        pass

    heartbeats: list[SegmentCheckpoint] = []

    def crash_midway(checkpoint: SegmentCheckpoint) -> None:
        heartbeats.append(checkpoint)
        if checkpoint.position_s > 10.3:
            raise Crash

    with pytest.raises(Crash):
        sample_segment(
            str(cut_clip.path),
            segment,
            options,
            tmp_path / "run",
            on_checkpoint=crash_midway,
            checkpoint_every_s=0.0,
        )
    # Resume from an older heartbeat (Temporal's last recorded one lags) mid-shot.
    last = heartbeats[-12]
    assert 9.0 < last.position_s < 10.3 and last.frames
    resumed = sample_segment(
        str(cut_clip.path), segment, options, tmp_path / "run", checkpoint=last
    )

    def summary(frames: list[FrameRef]) -> list[tuple[int, float, str, float, bool]]:
        return [(f.index, f.timestamp_s, f.reason, f.motion, f.shot_start) for f in frames]

    assert summary(resumed.frames) == summary(reference.frames)
    assert resumed.shot_starts_s == reference.shot_starts_s
    assert resumed.frames_decoded == reference.frames_decoded
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(
        Path(f.path).name for f in resumed.frames
    )


def test_corrupt_middle_is_skipped_and_garbage_is_rejected(tmp_path: Path) -> None:
    spec = write_clip(tmp_path / "clip.mp4", CUT_SHOTS, fps=FPS, width=320, height=180)
    data = bytearray(spec.path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 3000] = (
        np.random.default_rng(5).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    )
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    sample = sample_segment(str(damaged), whole(spec), SamplingOptions(), tmp_path / "out")
    assert sample.frames and sample.frames[-1].timestamp_s > 14.0

    garbage = tmp_path / "garbage.ts"
    write_clip(garbage, CUT_SHOTS[:2], fps=FPS, width=320, height=180)
    raw = bytearray(garbage.read_bytes())
    for start in range(0, len(raw) - 188, 188):
        if ((raw[start + 1] & 0x1F) << 8) | raw[start + 2] >= 0x100:
            raw[start + 24 : start + 188] = bytes(164)
    garbage.write_bytes(bytes(raw))
    segment = Segment(index=0, start_s=0.0, end_s=5.0, max_frames=10)
    with pytest.raises(InvalidVideoError, match="no decodable frames"):
        sample_segment(str(garbage), segment, SamplingOptions(), tmp_path / "garbage")


def test_a_one_frame_flash_is_not_a_shot_of_its_own(tmp_path: Path) -> None:
    """A black frame between two shots (or opening the video) makes one shot start, not two
    consecutive "New shot" frames."""
    clip = write_clip(
        tmp_path / "flash.mp4",
        [
            Shot(3.0, (200, 40, 40), "ONE"),
            Shot(0.04, (0, 0, 0), ""),
            Shot(3.0, (30, 120, 200), "TWO"),
        ],
    )
    samples = sample_video(clip.path, SamplingOptions(floor_interval_s=2.0), tmp_path / "out")
    frames = [frame for sample in samples for frame in sample.frames]
    shots = [frame.timestamp_s for frame in frames if frame.shot_start]
    assert len(shots) == 2 and shots[0] == 0.0 and 3.0 <= shots[1] <= 3.2, shots
    assert [start for sample in samples for start in sample.shot_starts_s] == [shots[1]]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.jpg")) == sorted(
        Path(frame.path).name for frame in frames
    ), "the flash frame's JPEG is left behind"


def test_a_black_leader_frame_does_not_open_a_second_shot(tmp_path: Path) -> None:
    """Megamind.avi opens with one black frame and cuts to the picture 42 ms later."""
    video = opencv_data_file("Megamind.avi")
    samples = sample_video(video, SamplingOptions(floor_interval_s=2.0), tmp_path)
    frames = [frame for sample in samples for frame in sample.frames]
    first, second = frames[0], frames[1]
    assert first.shot_start and not (
        second.shot_start and second.timestamp_s - first.timestamp_s < 0.25
    )
    starts = [start for sample in samples for start in sample.shot_starts_s]
    assert all(start > 1.0 for start in starts), starts
