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
