"""Tracks on clips with known truth: five real walkers (cut out of vtest.avi) crossing the empty
street at known times, one of them already there, one small, two in coloured tops, and one
person flashed into a single frame (a false box no track may confirm)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scene import CutOut, Image, Walk, write_scene

from videolens.timeline.model import Track
from videolens.tracking import ChunkRequest, FrameDetector, run_chunk, stitch

DURATION_S = 16.0
RED = (40, 40, 210)
BLUE = (200, 90, 30)
FRAME = (768, 576)


def _walks(people: list[CutOut]) -> list[Walk]:
    first, second, third, fourth, fifth = people
    return [
        # Left to right on the road at a brisk walk (~60 px/s, 0.7 body heights a second), in
        # view from 1 s to 14 s.
        Walk(first, 1.0, 14.0, (-first.mask.shape[1], 250), (768, 250)),
        # Right to left, crossing the first around 8 s, in view 2 s to 15 s.
        Walk(second, 2.0, 15.0, (768, 265), (-second.mask.shape[1], 265)),
        # Already on the grass at the start, strolling (140 px: to the right, as far as a
        # direction goes), in a red top.
        Walk(third.dressed(RED), 0.0, DURATION_S, (120, 400), (260, 420)),
        # Left to right along the far side of the road from 4 s, in a blue top.
        Walk(fourth.dressed(BLUE), 4.0, 16.0, (-fourth.mask.shape[1], 160), (700, 160)),
        # Small (three quarters size), right to left on the grass from 6 s.
        Walk(fifth.scaled(0.75), 6.0, DURATION_S, (768, 330), (420, 330)),
    ]


@pytest.fixture(scope="module")
def walks(street_and_people: tuple[Image, list[CutOut]]) -> list[Walk]:
    return _walks(street_and_people[1])


@pytest.fixture(scope="module")
def scene(
    tmp_path_factory: pytest.TempPathFactory, street_and_people: tuple[Image, list[CutOut]]
) -> Path:
    street, people = street_and_people
    assert (street.shape[1], street.shape[0]) == FRAME
    path = tmp_path_factory.mktemp("scene") / "street.mp4"
    # The flash: the first walker once more, in one frame only, in the middle of the grass.
    write_scene(
        path, street, _walks(people), duration_s=DURATION_S, flashes=[(7.0, people[1], (560, 420))]
    )
    return path


@pytest.fixture(scope="module")
def tracks(scene: Path, detector: FrameDetector) -> list[Track]:
    # Two chunks with the pipeline's 2 s overlap, so stitching is part of what is checked.
    chunks = [
        run_chunk(ChunkRequest(str(scene), 0, 0.0, 8.0, 0.0, 2.0), detector),
        run_chunk(ChunkRequest(str(scene), 1, 8.0, DURATION_S, 6.0, 2.0), detector),
    ]
    found, _ = stitch(chunks)
    return found


def _people(tracks: list[Track]) -> list[Track]:
    return [track for track in tracks if track.label == "person"]


def _follows(track: Track, walk: Walk) -> float:
    """Mean distance (share of the frame's width) from the track's path to the walker."""
    height, width = walk.person.mask.shape
    gaps = []
    for point in track.path:
        where = walk.at(point.t)
        if where is None:
            gaps.append(1.0)
            continue
        x = (point.box[0] + point.box[2]) / 2 * FRAME[0]
        y = (point.box[1] + point.box[3]) / 2 * FRAME[1]
        gaps.append(
            abs(x - where[0] - width / 2) / FRAME[0] + abs(y - where[1] - height / 2) / FRAME[0]
        )
    return sum(gaps) / len(gaps)


def _track_of(tracks: list[Track], walk: Walk) -> Track:
    return min(_people(tracks), key=lambda track: _follows(track, walk))


def test_distinct_people_are_counted_once_each(tracks: list[Track]) -> None:
    people = _people(tracks)
    summary = [(t.first_s, t.last_s, t.entered, t.direction, t.colour) for t in people]
    assert len(people) == 5, summary


def test_entry_times_edges_and_directions_are_the_walkers(
    tracks: list[Track], walks: list[Walk]
) -> None:
    found = [_track_of(tracks, walk) for walk in walks]
    assert len({track.track_id for track in found}) == 5
    for track, walk in zip(found, walks, strict=True):
        assert abs(track.first_s - walk.from_s) <= 1.0, (track.first_s, walk.from_s)
    assert [t.entered for t in found] == ["left", "right", "inside", "left", "right"]
    assert [t.direction for t in found] == [
        "left to right", "right to left", "left to right", "left to right", "right to left"
    ]  # fmt: skip


def test_colours_of_the_tops_are_named(tracks: list[Track], walks: list[Walk]) -> None:
    assert _track_of(tracks, walks[2]).colour == "red"
    assert _track_of(tracks, walks[3]).colour == "blue"


def test_a_person_flashed_into_one_frame_makes_no_track(tracks: list[Track]) -> None:
    near_flash = [
        t
        for t in _people(tracks)
        if any(abs(p.t - 7.0) < 0.3 and abs(p.box[0] - 560 / FRAME[0]) < 0.05 for p in t.path)
    ]
    assert near_flash == []
