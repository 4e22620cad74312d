"""Sampling catches events between floor frames: words appearing, fades and dissolves; and the
floor holds (start, end, sparse frames, the frame cap) on generated clips and real footage."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from real_media import opencv_data_file
from videolens.video.probe import probe_video
from videolens.video.sampling import sample_segment, sample_video
from videolens.video.segments import effective_floor
from videolens.video.synthetic import ClipSpec, Overlay, Shot, write_clip
from videolens.video.types import FrameRef, SamplingOptions, Segment, compute_coverage

FPS = 25


def whole(spec: ClipSpec, max_frames: int = 300) -> Segment:
    return Segment(index=0, start_s=0.0, end_s=spec.duration_s, max_frames=max_frames)


def max_gap(frames: list[FrameRef], end_s: float) -> float:
    times = [0.0, *(f.timestamp_s for f in frames), end_s]
    return max(b - a for a, b in itertools.pairwise(times))


def read_words(path: str) -> str:
    """The text OCR reads in a JPEG (PP-OCR models shipped in the package, no download)."""
    rapidocr = pytest.importorskip("rapidocr_onnxruntime", reason="rapidocr-onnxruntime absent")
    result, _ = rapidocr.RapidOCR()(path)
    return " ".join(str(line[1]) for line in result or [])


def test_words_shown_for_two_seconds_between_floor_frames_are_sampled(tmp_path: Path) -> None:
    # Floor frames at 0 and 5 s; "EXIT" is on screen from 1.6 to 3.6 s, above a moving box.
    shots = (Shot(10.0, (40, 90, 60), "", overlays=(Overlay("EXIT", 1.6, 3.6),)),)
    spec = write_clip(tmp_path / "caption.mp4", shots, fps=FPS, width=640, height=360)
    sample = sample_segment(
        str(spec.path), whole(spec), SamplingOptions(floor_interval_s=5.0), tmp_path / "out"
    )
    inside = [f for f in sample.frames if 1.6 <= f.timestamp_s < 3.6]
    # Words popping up in one frame read as a motion spike; faded in, as a change.
    assert len(inside) == 1 and inside[0].reason in ("motion", "change"), sample.frames
    assert "EXIT" in read_words(inside[0].path)
    # The words leaving is a change too; otherwise only the floor and the first shot.
    assert {f.reason for f in sample.frames} <= {"shot", "floor", "change", "motion"}
    assert len(sample.frames) <= 5
    assert max_gap(sample.frames, spec.duration_s) <= 5.0


def test_changing_words_are_each_sampled(tmp_path: Path) -> None:
    overlays = (Overlay("NORTH", 1.0, 3.0), Overlay("SOUTH", 3.0, 5.0))
    shots = (Shot(8.0, (90, 60, 40), "", moving_box=False, overlays=overlays),)
    spec = write_clip(tmp_path / "signs.mp4", shots, fps=FPS, width=640, height=360)
    sample = sample_segment(
        str(spec.path), whole(spec), SamplingOptions(floor_interval_s=6.0), tmp_path / "out"
    )
    changes = [f for f in sample.frames if f.reason in ("change", "motion")]
    assert any(1.0 <= f.timestamp_s < 3.0 for f in changes), sample.frames
    assert any(3.0 <= f.timestamp_s < 5.0 for f in changes), sample.frames


def test_a_busy_moving_scene_adds_few_change_frames(tmp_path: Path) -> None:
    """A box sliding across a static shot is motion, not a stream of new content."""
    spec = write_clip(
        tmp_path / "slide.mp4", (Shot(12.0, (60, 90, 120), "SLIDE"),), fps=FPS, width=320,
        height=180,
    )  # fmt: skip
    sample = sample_segment(
        str(spec.path), whole(spec), SamplingOptions(floor_interval_s=4.0), tmp_path / "out"
    )
    assert sum(f.reason == "change" for f in sample.frames) <= 3


@pytest.mark.parametrize("transition", ["dissolve", "fade"])
def test_gradual_transitions_are_boundaries(tmp_path: Path, transition: str) -> None:
    shots = (
        Shot(4.0, (200, 40, 40), "ONE", moving_box=False),
        Shot(5.0, (30, 120, 200), "TWO", False, transition=transition, transition_s=1.2),
        Shot(5.0, (240, 220, 60), "THREE", False, transition=transition, transition_s=1.6),
    )
    spec = write_clip(
        tmp_path / f"{transition}.mp4", shots, fps=FPS, width=320, height=180, textured=True
    )
    sample = sample_segment(
        str(spec.path), whole(spec), SamplingOptions(floor_interval_s=8.0), tmp_path / "out"
    )
    fades = [f for f in sample.frames if f.reason == "fade"]
    assert len(fades) == 2, sample.frames
    assert [f.timestamp_s for f in fades] == sample.shot_starts_s
    for frame, start, shot in zip(fades, spec.cut_times_s, shots[1:], strict=True):
        # The first steady frame after the transition, showing the new shot.
        assert (
            start + shot.transition_s - 0.1 <= frame.timestamp_s <= start + shot.transition_s + 0.5
        )
        assert frame.shot_start
        image = cv2.imread(frame.path)
        assert image is not None
        corner = image[5:20, 5:20].reshape(-1, 3).mean(axis=0)[::-1]  # BGR -> RGB
        assert np.abs(corner - np.array(shot.color)).max() < 50, frame
    assert not [f for f in sample.frames if f.reason == "shot" and f.timestamp_s > 0]


def test_the_floor_reaches_the_end_of_a_segment(tmp_path: Path) -> None:
    spec = write_clip(
        tmp_path / "end.mp4", (Shot(7.0, (90, 90, 90), "END", False),), fps=FPS, width=320,
        height=180,
    )  # fmt: skip
    for end_s, floor in ((7.0, 2.0), (5.5, 2.0), (7.0, 3.0)):
        segment = Segment(index=0, start_s=0.0, end_s=end_s, max_frames=100)
        sample = sample_segment(
            str(spec.path), segment, SamplingOptions(floor_interval_s=floor), tmp_path / "o"
        )
        assert max_gap(sample.frames, end_s) <= floor + 1e-6, (end_s, floor, sample.frames)


def test_a_capped_segment_raises_the_floor_evenly(tmp_path: Path) -> None:
    spec = write_clip(
        tmp_path / "long.mp4", (Shot(30.0, (60, 90, 120), "WAIT"),), fps=FPS, width=320,
        height=180,
    )  # fmt: skip
    segment = whole(spec, max_frames=6)
    options = SamplingOptions(floor_interval_s=1.0)
    floor = effective_floor(segment, options, FPS)
    assert floor == pytest.approx(30.0 / 6 + 2 / FPS)
    sample = sample_segment(str(spec.path), segment, options, tmp_path / "out")
    assert len(sample.frames) == 6
    assert max_gap(sample.frames, spec.duration_s) <= floor + 1e-6
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        Path(f.path).name for f in sample.frames
    )


@pytest.mark.parametrize("name", ["vtest.avi", "tree.avi"])
def test_real_footage_keeps_a_two_second_floor(tmp_path: Path, name: str) -> None:
    """vtest.avi (street, 10 fps, 80 s) and tree.avi (29.6 s, a frame every 0.4-0.7 s, where a
    5 s floor used to leave a 15 s gap)."""
    path = opencv_data_file(name)
    info = probe_video(path)
    samples = sample_video(path, SamplingOptions(floor_interval_s=2.0), tmp_path, segment_s=20.0)
    frames = [f for sample in samples for f in sample.frames]
    coverage = compute_coverage([f.timestamp_s for f in frames], info.duration_s, 2.0)
    assert coverage.max_gap_s <= 2.0 and coverage.floor_s == 2.0
    # Dense but not wasteful: about one frame per floor interval, plus a few events.
    assert len(frames) <= 1.5 * info.duration_s / 2.0 + 5
