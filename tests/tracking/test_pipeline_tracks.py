"""The detection pass through the real pipeline: a session of the walkers' street gains tracks,
and its described moments take their detections and people counts from them."""

from __future__ import annotations

from pathlib import Path

import pytest
from scene import CutOut, Image, Walk, write_scene

from analysis_sessions import analyse
from videolens.config import Settings
from videolens.timeline.model import SessionDocument


def test_a_session_gains_tracks_stitched_across_segments(
    settings: Settings,
    tmp_path: Path,
    street_and_people: tuple[Image, list[CutOut]],
) -> None:
    street, people = street_and_people
    walks = [
        # Across the whole clip, over the boundary of its two segments (at 5 s).
        Walk(people[0], 0.5, 10.0, (-30, 250), (700, 250)),
        Walk(people[1], 2.0, 10.0, (700, 300), (200, 300)),
    ]
    clip = tmp_path / "two_walkers.mp4"
    write_scene(clip, street, walks, duration_s=10.0)
    settings = settings.model_copy(update={"segment_s": 5.0, "speech": "off"})

    document = SessionDocument.model_validate(analyse(settings, clip))

    assert document.status == "completed"
    assert document.tracking is not None and document.tracking.fps == 2.0
    assert document.tracking.detector.startswith("ssd_mobilenet_v2_coco")
    people = [track for track in document.tracks or [] if track.label == "person"]
    # One track each, though each walker's pass was split over two chunks.
    assert len(people) == 2, [(t.first_s, t.last_s) for t in people]
    assert sorted(t.direction for t in people) == ["left to right", "right to left"]
    for track in people:
        assert track.last_s - track.first_s >= 6.0
    ids = {track.track_id for track in people}
    middle = [m for m in document.frames if 3.0 <= (m.timestamp_s or 0) <= 9.0]
    assert middle
    for moment in middle:
        walkers = [d for d in moment.detections or [] if d.label == "person"]
        assert moment.people_count == len(walkers) == 2, moment.timestamp_s
        assert {d.track_id for d in walkers} == ids
        assert all(d.colour for d in walkers)
        assert moment.description.startswith("Two people")


@pytest.mark.parametrize("tracking", [False])
def test_without_the_pass_the_basic_backend_still_counts(
    settings: Settings,
    tmp_path: Path,
    street_and_people: tuple[Image, list[CutOut]],
    tracking: bool,
) -> None:
    """With tracking off (``tracking=False`` in the workflow input) no tracks are claimed and
    the basic backend detects on the stored frames as before."""
    street, people = street_and_people
    clip = tmp_path / "one_walker.mp4"
    write_scene(clip, street, [Walk(people[0], 0.0, 4.0, (100, 250), (300, 250))], duration_s=4.0)
    settings = settings.model_copy(update={"speech": "off", "tracking": tracking})

    document = SessionDocument.model_validate(analyse(settings, clip))

    assert document.status == "completed"
    assert document.tracks is None and document.tracking is None
    assert any((m.people_count or 0) >= 1 for m in document.frames)
