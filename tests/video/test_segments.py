"""plan_segments / estimate_frames (pure), and sampling a video segment by segment."""

from __future__ import annotations

import ast
import itertools
import sys
from pathlib import Path

import pytest

import videolens.video.segments as segments_module
from videolens.video.sampling import sample_segment, sample_video
from videolens.video.segments import estimate_frames, plan_segments
from videolens.video.synthetic import ClipSpec, Shot, write_clip
from videolens.video.types import SamplingOptions, VideoInfo

FPS = 25


def info(duration_s: float) -> VideoInfo:
    return VideoInfo(
        path="/v.mp4",
        duration_s=duration_s,
        fps=25.0,
        frame_count=round(duration_s * 25),
        width=640,
        height=360,
        codec="h264",
    )


@pytest.mark.parametrize(
    ("duration", "segment_s", "expected_bounds"),
    [
        (10.0, 60.0, [(0.0, 10.0)]),
        (130.0, 60.0, [(0.0, 60.0), (60.0, 130.0)]),  # a 10 s tail joins the last segment
        (150.0, 60.0, [(0.0, 60.0), (60.0, 120.0), (120.0, 150.0)]),  # a 30 s tail stands alone
        (120.0, 60.0, [(0.0, 60.0), (60.0, 120.0)]),
        (45.0, 60.0, [(0.0, 45.0)]),
    ],
)
def test_plan_segments_bounds(
    duration: float, segment_s: float, expected_bounds: list[tuple[float, float]]
) -> None:
    plan = plan_segments(info(duration), SamplingOptions(max_frames=300), segment_s)
    assert [(s.start_s, s.end_s) for s in plan] == expected_bounds
    assert [s.index for s in plan] == list(range(len(plan)))


def test_frame_quota_is_shared_by_duration() -> None:
    plan = plan_segments(info(150.0), SamplingOptions(max_frames=100), 60.0)
    assert [s.max_frames for s in plan] == [40, 40, 20]
    uneven = plan_segments(info(1000.0), SamplingOptions(max_frames=137), 60.0)
    quotas = [s.max_frames for s in uneven]
    assert sum(quotas) == 137 and min(quotas) >= 1
    assert max(quotas) - min(quotas) <= 4  # 16 segments of 60 s and one of 40 s


def test_scarce_frames_make_longer_segments_never_more_frames() -> None:
    """Each segment keeps at least MIN_SEGMENT_FRAMES (5) frames where max_frames allows, so its
    floor fits its quota; never more segments than frames."""
    plan = plan_segments(info(600.0), SamplingOptions(max_frames=15), 60.0)
    assert [(s.start_s, s.end_s, s.max_frames) for s in plan] == [
        (0.0, 200.0, 5),
        (200.0, 400.0, 5),
        (400.0, 600.0, 5),
    ]
    scarce = plan_segments(info(600.0), SamplingOptions(max_frames=3), 60.0)
    assert [(s.start_s, s.end_s, s.max_frames) for s in scarce] == [(0.0, 600.0, 3)]


@pytest.mark.parametrize(
    ("duration", "max_frames"),
    [(36_000.0, 300), (795_000.0, 300), (1e9, 300), (36_000.0, 1), (7_200.0, 10_000)],
)
def test_any_length_gets_a_bounded_plan_within_max_frames(duration: float, max_frames: int) -> None:
    plan = plan_segments(info(duration), SamplingOptions(max_frames=max_frames), 60.0)
    assert 1 <= len(plan) <= min(segments_module.MAX_SEGMENTS, max(1, max_frames // 5))
    assert sum(s.max_frames for s in plan) == max_frames
    assert min(s.max_frames for s in plan) >= 1
    assert plan[0].start_s == 0.0 and plan[-1].end_s == duration
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(plan))


def test_promised_floor_is_the_widest_the_quotas_allow() -> None:
    options = SamplingOptions(floor_interval_s=150.0, max_frames=300)
    plan = plan_segments(info(36_000.0), options, 60.0)
    assert len(plan) == 60 and {s.max_frames for s in plan} == {5}
    assert segments_module.promised_floor(plan, options, 1.0) == 150.0
    # Frames further apart than the floor: the floor cannot be held closer than they lie.
    assert segments_module.promised_floor(plan, options, 0.001) == 1000.0
    # Ticks of the interval strategy take the first frame at or after them: one frame later.
    ticks = SamplingOptions(strategy="interval", interval_s=150.0, max_frames=300)
    assert segments_module.promised_floor(plan, ticks, 1.0) == 151.0
    # Three frames for a long segment: its quota sets the floor (and the slack of two frames).
    scarce = plan_segments(info(600.0), SamplingOptions(max_frames=3), 60.0)
    assert segments_module.promised_floor(scarce, SamplingOptions(), 25.0) == pytest.approx(
        200.0 + 2 / 25
    )


def test_plan_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        plan_segments(info(10.0), SamplingOptions(), 0.0)
    with pytest.raises(ValueError):
        plan_segments(info(0.0), SamplingOptions(), 60.0)


def test_estimate_frames() -> None:
    assert estimate_frames(info(100.0), SamplingOptions(strategy="interval", interval_s=2)) == 50
    assert estimate_frames(info(100.0), SamplingOptions(floor_interval_s=5)) == 20
    assert estimate_frames(info(1000.0), SamplingOptions(floor_interval_s=5, max_frames=30)) == 30


def test_segments_module_is_workflow_safe() -> None:
    """It runs in the Temporal sandbox: stdlib and videolens.video.types only."""
    tree = ast.parse(Path(segments_module.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    outside = {name for name in imported if name.split(".")[0] not in sys.stdlib_module_names}
    assert outside == {"videolens.video.types"}


# Cuts at 4.0 and 8.0 s fall exactly on the 4 s segment boundaries (durations are whole frames).
BOUNDARY_SHOTS = (
    Shot(4.0, (200, 40, 40), "A"),
    Shot(4.0, (30, 120, 200), "B"),
    Shot(2.4, (240, 220, 60), ""),
    Shot(1.6, (40, 160, 80), "D"),
)
# With non-reference frames skipped a cut can show up a couple of frames late.
CUT_TOLERANCE_S = 3 / FPS


# MPEG-TS has no index: a seek there can land after the target, which the sampler must undo.
@pytest.fixture(scope="module", params=["mp4", "ts"])
def boundary_clip(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> ClipSpec:
    return write_clip(
        tmp_path_factory.mktemp("clips") / f"boundary.{request.param}",
        BOUNDARY_SHOTS,
        fps=FPS,
        width=320,
        height=180,
    )


def test_cut_on_a_segment_boundary_is_found(boundary_clip: ClipSpec, tmp_path: Path) -> None:
    options = SamplingOptions(floor_interval_s=2.0)
    plan = plan_segments(info(boundary_clip.duration_s), options, 4.0)
    assert [s.start_s for s in plan] == [0.0, 4.0, 8.0]
    second = sample_segment(str(boundary_clip.path), plan[1], options, tmp_path)
    # The segment decoded a reference frame before its start, so its first frame reads as a cut.
    assert 4.0 <= second.shot_starts_s[0] <= 4.0 + CUT_TOLERANCE_S
    assert second.frames[0].timestamp_s == second.shot_starts_s[0]
    assert second.frames[0].reason == "shot" and second.frames[0].shot_start


def test_segments_concatenate_without_duplicates_or_gaps(
    boundary_clip: ClipSpec, tmp_path: Path
) -> None:
    options = SamplingOptions(floor_interval_s=1.5)
    samples = sample_video(str(boundary_clip.path), options, tmp_path, segment_s=4.0)
    assert len(samples) == 3
    frames = [f for sample in samples for f in sample.frames]
    indexes = [f.index for f in frames]
    assert indexes == sorted(set(indexes))
    times = [0.0, *(f.timestamp_s for f in frames), boundary_clip.duration_s]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 1.5 + CUT_TOLERANCE_S
    cuts = [t for sample in samples for t in sample.shot_starts_s]
    assert len(cuts) == len(boundary_clip.cut_times_s)
    for cut, found in zip(boundary_clip.cut_times_s, cuts, strict=True):
        assert cut - 1e-3 <= found <= cut + CUT_TOLERANCE_S
    for sample in samples:
        seg = sample.segment
        assert all(seg.start_s <= f.timestamp_s < seg.end_s for f in sample.frames)
