"""The detection pass skips the detector where nothing moved since the frame it last saw, and the
counts stay right: a real walker crosses the empty street, then only one who stands still is
there (cut-outs of vtest.avi, known truth)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from scene import CutOut, Image, Walk, write_scene

from videolens.tracking import ChunkRequest, FrameDetector, SsdNetwork, run_chunk
from videolens.tracking.detection_pass import REDETECT_AFTER_S
from videolens.tracking.ssd import RawBox

DURATION_S = 12.0
WALK_ENDS_S = 4.0


class CountingNetwork(SsdNetwork):
    """The real network, counting the frames it is run on."""

    def __init__(self) -> None:
        super().__init__()
        self.runs = 0

    def run(
        self, image: NDArray[np.uint8], region: tuple[int, int, int, int] | None = None
    ) -> list[RawBox]:
        self.runs += 1
        return super().run(image, region)


@pytest.fixture(scope="module")
def scene(
    tmp_path_factory: pytest.TempPathFactory, street_and_people: tuple[Image, list[CutOut]]
) -> tuple[Path, list[Walk]]:
    street, people = street_and_people
    walks = [
        # Crosses the road left to right in the first 4 s, then is gone.
        Walk(people[0], 0.0, WALK_ENDS_S, (-20, 250), (700, 250)),
        # Stands on the grass the whole time.
        Walk(people[2], 0.0, DURATION_S, (200, 400), (200, 400)),
    ]
    path = tmp_path_factory.mktemp("still") / "still.mp4"
    write_scene(path, street, walks, duration_s=DURATION_S)
    return path, walks


def test_a_still_stretch_skips_the_detector_but_the_counts_stay_right(
    scene: tuple[Path, list[Walk]],
) -> None:
    path, walks = scene
    network = CountingNetwork()

    chunk = run_chunk(ChunkRequest(str(path), 0, 0.0, DURATION_S, 0.0, 2.0), FrameDetector(network))

    assert len(chunk.frames) == 24
    people = [sum(d.label == "person" for d in frame.detections) for frame in chunk.frames]
    truth = [sum(walk.at(frame.t) is not None for walk in walks) for frame in chunk.frames]
    compared = list(zip([f.t for f in chunk.frames], people, truth, strict=True))
    assert sum(found != true for _, found, true in compared) <= 2, compared
    # While the walker walks (0-4 s: 9 frames) every frame is detected; from the first frame
    # without them (4.5 s) nothing moves, so the detector runs again only every REDETECT_AFTER_S.
    moving = sum(frame.t <= WALK_ENDS_S + 0.5 for frame in chunk.frames)
    still = len(chunk.frames) - moving
    assert moving == 10
    assert moving <= network.runs <= moving + still / (REDETECT_AFTER_S * 2.0) + 1, network.runs
    # The one standing still is one track throughout, with the same box in reused frames.
    stander = {
        d.track_id for f in chunk.frames[moving:] for d in f.detections if d.label == "person"
    }
    assert len(stander) == 1 and None not in stander


def test_a_moving_walker_is_never_skipped(scene: tuple[Path, list[Walk]]) -> None:
    """The first 4 s alone: someone walks in every frame, so every frame is detected."""
    path, _ = scene
    network = CountingNetwork()

    chunk = run_chunk(
        ChunkRequest(str(path), 0, 0.0, WALK_ENDS_S, 0.0, 2.0), FrameDetector(network)
    )

    assert network.runs == len(chunk.frames) == 8
