"""A detection in a track says what the track is, whatever the detector called it that frame."""

from __future__ import annotations

from videolens.timeline.model import Detection
from videolens.tracking import TrackedFrame
from videolens.tracking.tracks import build_tracks


def test_a_van_read_as_car_and_truck_in_turn_is_one_thing_throughout() -> None:
    """vtest.avi's parked van was "car" in some frames and "truck" in others; the moments then
    said a truck came and went every few seconds. Every detection takes the track's label."""
    labels = ["car", "truck", "car", "car", "truck", "car"]
    frames = [
        TrackedFrame(
            t=k * 0.5,
            detections=[
                Detection(label=label, score=0.6, box=[0.85, 0.05, 0.95, 0.15], track_id=7)
            ],
        )
        for k, label in enumerate(labels)
    ]
    tracks, kept = build_tracks(frames, start_s=0.0, end_s=3.0, step_s=0.5)
    assert [track.label for track in tracks] == ["car"]
    assert {d.label for frame in kept for d in frame.detections} == {"car"}
    assert all(d.track_id == tracks[0].track_id for frame in kept for d in frame.detections)


def _seen(track_id: int, label: str, box: list[float], times: list[float]) -> list[TrackedFrame]:
    return [
        TrackedFrame(
            t=t, detections=[Detection(label=label, score=0.6, box=box, track_id=track_id)]
        )
        for t in times
    ]


def test_a_parked_van_lost_for_seconds_and_found_again_is_one_track() -> None:
    """The detector lost vtest.avi's parked van for seconds at a time; ByteTrack then started a
    new track where the old one ended, and chapters said a truck arrived and left."""
    van = [0.85, 0.05, 0.95, 0.15]
    frames = [
        *_seen(7, "car", van, [0.0, 0.5, 1.0, 1.5]),
        TrackedFrame(t=3.0, detections=[]),
        *_seen(9, "truck", [0.86, 0.05, 0.95, 0.15], [5.0, 5.5, 6.0]),
        *_seen(11, "car", van, [8.0, 8.5, 9.0]),
    ]
    tracks, kept = build_tracks(frames, start_s=0.0, end_s=9.0, step_s=0.5)
    assert len(tracks) == 1, tracks
    assert (tracks[0].first_s, tracks[0].last_s, tracks[0].label) == (0.0, 9.0, "car")
    assert {(d.track_id, d.label) for frame in kept for d in frame.detections} == {(1, "car")}


def test_someone_who_starts_elsewhere_is_someone_else() -> None:
    frames = [
        *_seen(1, "person", [0.0, 0.4, 0.05, 0.6], [0.0, 0.5, 1.0]),
        *_seen(2, "person", [0.5, 0.4, 0.55, 0.6], [2.0, 2.5, 3.0]),
    ]
    tracks, _ = build_tracks(frames, start_s=0.0, end_s=5.0, step_s=0.5)
    assert len(tracks) == 2


def test_one_who_walked_out_at_an_edge_and_one_who_came_in_there_are_two() -> None:
    frames = [
        *_seen(1, "person", [0.3, 0.4, 0.35, 0.6], [0.0]),
        *_seen(1, "person", [0.15, 0.4, 0.2, 0.6], [0.5]),
        *_seen(1, "person", [0.0, 0.4, 0.05, 0.6], [1.0]),
        *_seen(2, "person", [0.0, 0.4, 0.05, 0.6], [6.0, 6.5, 7.0]),
    ]
    tracks, _ = build_tracks(frames, start_s=0.0, end_s=9.0, step_s=0.5)
    assert len(tracks) == 2
