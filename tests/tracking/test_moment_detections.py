"""What a described moment counts from the stitched tracks: who is there at its time."""

from __future__ import annotations

from videolens.pipeline.session_tracks import alive_detections
from videolens.timeline.model import Detection
from videolens.tracking import TrackedFrame


def _at(t: float, *found: tuple[int, str, list[float]]) -> TrackedFrame:
    return TrackedFrame(
        t=t,
        detections=[
            Detection(label=label, score=0.7, box=box, track_id=i) for i, label, box in found
        ],
    )


def _counted(frames: list[TrackedFrame], t: float) -> set[int | None]:
    found = alive_detections(frames, t, 0.5)
    assert found is not None
    return {d.track_id for d in found}


def test_a_walker_hidden_for_a_step_is_still_counted() -> None:
    frames = [
        _at(0.0, (1, "person", [0.10, 0.4, 0.15, 0.6])),
        _at(0.5),
        _at(1.0, (1, "person", [0.20, 0.4, 0.25, 0.6])),
    ]
    assert _counted(frames, 0.5) == {1}


def test_a_long_gap_of_someone_moving_is_not_filled_in() -> None:
    """On vtest.avi boxes carried over long gaps put people on the empty road (10 counted at
    00:54 where a person counts 6)."""
    frames = [
        _at(0.0, (1, "person", [0.10, 0.4, 0.15, 0.6])),
        *[_at(k * 0.5) for k in range(1, 12)],
        _at(6.0, (1, "person", [0.70, 0.4, 0.75, 0.6])),
    ]
    assert _counted(frames, 3.0) == set()


def test_a_parked_van_lost_for_long_is_there_all_along() -> None:
    van = [0.85, 0.05, 0.95, 0.15]
    frames = [
        _at(0.0, (4, "truck", van)),
        *[_at(k * 0.5) for k in range(1, 20)],
        _at(10.0, (4, "truck", van)),
    ]
    assert _counted(frames, 5.0) == {4}


def test_a_broken_tracks_other_half_is_not_counted_beside_it() -> None:
    """vtest.avi at 01:00: a man shown under a new track, and his old track carried over from
    the step before, were counted as two people."""
    frames = [
        _at(0.0, (1, "person", [0.80, 0.4, 0.85, 0.6])),
        _at(0.5, (2, "person", [0.81, 0.4, 0.86, 0.6])),
        _at(1.0, (1, "person", [0.82, 0.4, 0.87, 0.6])),
    ]
    assert _counted(frames, 0.5) == {2}


def test_two_walkers_side_by_side_are_both_counted_when_one_is_missed() -> None:
    """vtest.avi at 00:04: a woman walking beside a man, missed for two steps, was carried over
    with her box from a step later, which lay on him, and dropped as him (3 counted, not 5)."""
    frames = [
        _at(3.0, (6, "person", [0.86, 0.44, 0.91, 0.61]), (7, "person", [0.81, 0.45, 0.86, 0.60])),
        _at(3.5, (7, "person", [0.79, 0.42, 0.85, 0.59])),
        _at(4.0, (7, "person", [0.74, 0.41, 0.79, 0.56])),
        _at(4.5, (6, "person", [0.75, 0.39, 0.79, 0.55]), (7, "person", [0.70, 0.40, 0.74, 0.54])),
    ]
    found = alive_detections(frames, 4.0, 0.5)
    assert found is not None and {d.track_id for d in found} == {6, 7}
    woman = next(d for d in found if d.track_id == 6)
    assert woman.box[0] == 0.7867  # two thirds of the way from her box at 3.0 to hers at 4.5
