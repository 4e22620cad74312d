"""The default detection pass over the real vtest.avi, against counts made by hand.

People were counted on whole frames every 5 s, zoomed where people overlap (a person half
hidden by the sign counts; a head behind a car or a sliver at an edge does not). The passages
(one person's stay in view, a return counted again) were registered from frames every 0.5 s,
with each entry and exit checked frame by frame: 21, of 12 different people (the same actors
walk out and in again). See the closing note of issue 19 for the frames with boxes drawn.
"""

from __future__ import annotations

from statistics import fmean

from real_media import opencv_data_file
from videolens.chat.changes import handovers
from videolens.config import Settings
from videolens.pipeline.session_tracks import alive_detections
from videolens.tracking import FrameDetector
from videolens.tracking.detection_pass import ChunkRequest, run_chunk
from videolens.tracking.stitch import stitch

PEOPLE_IN_VIEW = {0: 3, 5: 6, 10: 7, 15: 8, 20: 7, 25: 7, 30: 6, 35: 6, 40: 3, 45: 3, 50: 4,
                  55: 6, 60: 6, 65: 6, 70: 8, 75: 8}  # fmt: skip
PASSAGES = 21


def test_counts_and_passages_on_vtest_are_near_a_hand_count(detector: FrameDetector) -> None:
    video = opencv_data_file("vtest.avi")
    fps = Settings().tracking_fps
    chunk = run_chunk(ChunkRequest(str(video), 0, 0.0, 79.5, 0.0, fps), detector)
    tracks, frames = stitch([chunk])

    counted = {}
    for t in PEOPLE_IN_VIEW:
        there = alive_detections(frames, float(t), 1.0 / fps)
        assert there is not None
        counted[t] = sum(d.label == "person" for d in there)
    errors = [abs(counted[t] - n) for t, n in PEOPLE_IN_VIEW.items()]
    # Measured at 2 fps: exact in 10 of 16 frames, 1 off in 3, 2 off in 3 (a couple under one
    # box, a walker behind the sign, a man at the car missed), mean 0.56.
    assert fmean(errors) <= 0.75 and max(errors) <= 2, counted

    people = [track for track in tracks if track.label == "person"]
    found_again = sum(1 for _, side in handovers(people) if side == "start")
    # Measured: 33 tracks, 10 of them the same person found again: 23 passages (+10 %).
    assert abs(len(people) - found_again - PASSAGES) <= 0.15 * PASSAGES, (
        len(people),
        found_again,
    )
