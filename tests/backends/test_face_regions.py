"""Faces are looked for only where the detection pass saw people: the real cascade and the real
SSD on real photos and footage (messi5.jpg, Megamind.avi close-ups, vtest.avi's street)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from sampled_frames import frames_at

from real_media import opencv_data_file
from videolens.backends import FrameInput
from videolens.backends.basic import BasicBackend, objects
from videolens.backends.basic.backend import WORKING_MAX_SIDE, _read_bounded
from videolens.backends.basic.faces import FaceFinder
from videolens.backends.basic.objects import ObjectDetector
from videolens.timeline.model import Detection

pytestmark = pytest.mark.skipif(
    objects.model_files() is None, reason=objects.detector_missing_reason() or "model missing"
)


@pytest.fixture(scope="module")
def backend() -> Iterator[BasicBackend]:
    instance = BasicBackend(ocr=False)
    yield instance
    instance.close()


def _seen(label: str, box: Sequence[float]) -> Detection:
    return Detection(label=label, score=0.9, box=list(box))


def _images(frames: list[FrameInput]) -> list[NDArray[np.uint8]]:
    """The frames as the backend reads them."""
    images = [_read_bounded(frame.path, WORKING_MAX_SIDE) for frame in frames]
    assert all(image is not None for image in images)
    return [image for image in images if image is not None]


def _people(image: np.ndarray) -> list[list[float]]:
    return [list(d.box) for d in ObjectDetector().detect(image) if d.label == "person"]


def test_the_face_is_found_inside_the_person_the_pass_saw(backend: BasicBackend) -> None:
    """messi5.jpg: the player the detector finds is ~40% of the photo, so only his box (with a
    margin) is searched, and his face is found there as in a search of the whole photo."""
    photo = str(opencv_data_file("messi5.jpg"))
    image = _read_bounded(photo, WORKING_MAX_SIDE)
    assert image is not None
    (player,) = _people(image)
    passed = FrameInput(0, 0.0, photo, detections=[_seen("person", player)])

    (result,) = backend.describe([passed])
    (whole,) = backend.describe([FrameInput(0, 0.0, photo)])  # no pass: the whole photo

    assert result.extra["face_count"] == 1
    (face,) = result.extra["faces"]
    (reference,) = whole.extra["faces"]
    assert all(abs(face[key] - reference[key]) < 0.02 for key in ("x", "y", "w", "h"))
    x0, y0, x1, y1 = player
    assert x0 <= face["x"] and face["x"] + face["w"] <= x1 and y0 <= face["y"] <= y1


def test_no_person_no_face_search(backend: BasicBackend) -> None:
    """The same photo, where the pass saw nobody (or only the ball, or a person elsewhere): the
    face that is there is not looked for, so none is claimed."""
    photo = str(opencv_data_file("messi5.jpg"))
    elsewhere = [_seen("person", (0.0, 0.0, 0.12, 0.3))]
    ball_only = [_seen("sports ball", (0.4, 0.8, 0.5, 0.95))]
    frames = [
        FrameInput(i, float(i), photo, detections=seen)
        for i, seen in enumerate([[], ball_only, elsewhere])
    ]

    results = backend.describe(frames)

    assert [r.extra["face_count"] for r in results] == [0, 0, 0]
    assert all("face" not in r.description for r in results)


def test_close_ups_are_searched_whole_and_find_the_same_faces(tmp_path: Path) -> None:
    """Megamind.avi's close-ups: people cover most of the frame, so the whole frame is searched
    (a crop moves the cascade's grid: measured, crops lost 2 faces of 13 frames' and added one),
    and every frame's faces are exactly those of a search without the people's boxes."""
    frames = frames_at(
        opencv_data_file("Megamind.avi"), [1.0 + 0.8 * i for i in range(13)], tmp_path
    )
    finder = FaceFinder()

    pairs = [
        (finder.find(image, within=_people(image)), finder.find(image)) for image in _images(frames)
    ]

    assert len(pairs) == 13
    assert sum(len(whole) >= 1 for _, whole in pairs) >= 11
    assert all(within == whole for within, whole in pairs)


def test_small_walkers_get_a_small_search_that_finds_what_the_whole_one_does(
    tmp_path: Path,
) -> None:
    """vtest.avi's street: walkers ~15% of the frame high, so only their boxes are searched;
    the whole-frame search finds no face there either (heads ~15 px)."""
    frames = frames_at(opencv_data_file("vtest.avi"), [2.0 + 6 * i for i in range(6)], tmp_path)
    finder = FaceFinder()
    images = [
        image for f in frames if (image := _read_bounded(f.path, WORKING_MAX_SIDE)) is not None
    ]
    people = [_people(image) for image in images]

    assert all(people), "every sampled frame of the street has walkers"
    assert all(_share(boxes) < 0.5 for boxes in people)
    assert [finder.find(i, within=p) for i, p in zip(images, people, strict=True)] == [
        finder.find(image) for image in images
    ]


def _share(boxes: list[list[float]]) -> float:
    """The share of a frame the boxes cover (union), on a 100x100 grid."""
    grid = np.zeros((100, 100), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        grid[round(y0 * 100) : round(y1 * 100), round(x0 * 100) : round(x1 * 100)] = True
    return float(grid.mean())


def test_an_empty_region_list_finds_nothing_and_none_searches_the_whole_image() -> None:
    (image,) = _images([FrameInput(0, 0.0, str(opencv_data_file("messi5.jpg")))])
    finder = FaceFinder()

    assert finder.find(image, within=[]) == []
    assert len(finder.find(image, within=None)) == 1
