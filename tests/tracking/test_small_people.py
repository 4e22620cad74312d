"""Small people in a large frame: a walker 60 px tall in 1080p is ~17 px to a whole-frame pass of
the 300x300 network and is missed; overlapping tiles find them."""

from __future__ import annotations

import cv2
from scene import CutOut, Image, paste

from videolens.tracking import FrameDetector

SPOTS = [(400, 700), (1200, 500), (900, 800)]


def _centre(box: list[float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2 * 1920, (box[1] + box[3]) / 2 * 1080


def test_people_60_px_tall_in_1080p_are_found_by_tiles(
    detector: FrameDetector, street_and_people: tuple[Image, list[CutOut]]
) -> None:
    street, people = street_and_people
    frame = cv2.resize(street, (1920, 1440))[180:1260]
    for person in people[:2]:
        small = person.scaled(60 / person.mask.shape[0])
        for spot in SPOTS:
            paste(frame, small, spot)
        spots = [(x + small.mask.shape[1] / 2, y + 30) for x, y in SPOTS]

        whole = [d for d in detector.detect(frame) if d.label == "person"]
        tiled = [d for d in detector.detect(frame, tiled=True) if d.label == "person"]

        assert len(whole) == 0
        found = [
            spot
            for spot in spots
            if any(
                abs(_centre(d.box)[0] - spot[0]) < 20 and abs(_centre(d.box)[1] - spot[1]) < 30
                for d in tiled
            )
        ]
        assert len(found) >= 2, [_centre(d.box) for d in tiled]
        frame = cv2.resize(street, (1920, 1440))[180:1260]
