"""Frontal faces with OpenCV's Haar cascade (ships with opencv-python 4.x)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import cv2.data as cv2_data
import numpy as np
from cv2.typing import MatLike
from numpy.typing import NDArray

from videolens.backends.base import BackendUnavailableError

CASCADE_FILE = "haarcascade_frontalface_alt.xml"
"""The ``alt`` frontal-face cascade. History: ``default`` took the letters of black-on-white
title plates for faces, so ``alt2`` with 7 neighbours on a histogram-equalised image replaced it;
that setting then missed clear frontal faces in real footage. Measured on real frames (13
Megamind.avi frames with 1-2 frontal faces each, messi5.jpg, 20 vtest.avi street frames, 7
frames of a city clip, 2 tree.avi frames) and 158 generated title-card frames:

- ``alt2``, 7 neighbours, equalised (the old setting): faces in 10 of 13 Megamind frames, and a
  false face beside the real one on messi5.jpg.
- ``alt``, 5 neighbours, not equalised (this setting): faces in all 13 Megamind frames, only the
  real face on messi5.jpg, no face on any vtest, city, tree or title-card frame.
- ``default``, 3-5 neighbours, equalised: 36-67 title-card frames with a "face".

Equalising the histogram hurt every cascade: it lifts dim backgrounds into face-like texture."""
DETECTION_MAX_SIDE = 640
"""Faces are searched on a greyscale copy with its long side capped here (the cascade's 20 px
window then reaches faces of about 6% of a 16:9 frame's height); ~30-100 ms a frame, 2 cores."""
SMALLEST_FACE_PX = 20
"""The cascade's window: no face smaller than this (at the search scale) is found."""
MIN_NEIGHBOURS = 5
"""Overlapping detections a face needs; higher trades missed faces for fewer false ones. With
``alt``, 7 lost a tilted face that 5 found, and 5 claimed none on the face-free frames above."""
REGION_MARGIN = 0.15
"""A person box is widened by this share of its size on every side before faces are looked for
in it: the detector's box can cut through a head turned to the edge of it."""
WHOLE_FRAME_SHARE = 0.5
"""Where people's boxes cover more than this share of the frame (a close-up), the whole frame is
searched: searching a crop moves the cascade's grid of windows, and on 13 Megamind.avi close-ups
crops lost the face in 2 frames and found a second one in 1, while saving only ~25% there. On
vtest.avi's street (walkers ~15% of the frame high) crops cost 5 ms a frame instead of 258."""
NESTED_SHARE = 0.5
"""A face box lying more than this much inside a larger one is part of that face (the cascade
sometimes boxes an eye region again inside the whole face); it is dropped."""


@dataclass(frozen=True)
class FaceBox:
    """A detected face, normalised to the frame: 0..1 from the top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def cascade_path() -> Path:
    """Where opencv-python keeps the frontal-face cascade (``cv2.data.haarcascades``)."""
    return Path(cv2_data.haarcascades) / CASCADE_FILE


class FaceFinder:
    """Finds frontal faces in BGR images; built once, holds the loaded cascade."""

    def __init__(self) -> None:
        path = cascade_path()
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise BackendUnavailableError(
                f"the face cascade {path} could not be loaded; reinstall opencv-python (4.x)"
            )

    def find(
        self, image: NDArray[np.uint8], within: Sequence[Sequence[float]] | None = None
    ) -> list[FaceBox]:
        """Faces in ``image``, largest first. Given ``within`` (``[x0, y0, x1, y1]`` boxes
        normalised 0..1, e.g. the people detected), only inside those: none where it is empty,
        the whole frame where they cover most of it (see ``WHOLE_FRAME_SHARE``)."""
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        height, width = grey.shape[:2]
        scale = min(1.0, DETECTION_MAX_SIDE / max(height, width))
        if scale < 1.0:
            grey = cv2.resize(
                grey, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
            )
        small_h, small_w = grey.shape[:2]
        regions = _regions(within, small_w, small_h) if within is not None else None
        if regions is None:
            regions = [(0, 0, small_w, small_h)]
        boxes = [
            FaceBox(
                x=round((x0 + x) / small_w, 4),
                y=round((y0 + y) / small_h, 4),
                w=round(w / small_w, 4),
                h=round(h / small_h, 4),
            )
            for x0, y0, x1, y1 in regions
            for x, y, w, h in self._search(grey[y0:y1, x0:x1])
        ]
        return drop_nested(sorted(boxes, key=lambda box: box.w * box.h, reverse=True))

    def _search(self, grey: MatLike) -> list[tuple[int, int, int, int]]:
        found = self._cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=MIN_NEIGHBOURS)
        return [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]


def _regions(
    boxes: Sequence[Sequence[float]], width: int, height: int
) -> list[tuple[int, int, int, int]] | None:
    """The normalised ``boxes`` widened by ``REGION_MARGIN``, in the pixels of the ``width`` x
    ``height`` image searched, leaving out those too small to hold the cascade's smallest face;
    None (search the whole frame) where together they cover more than ``WHOLE_FRAME_SHARE``."""
    regions: list[tuple[int, int, int, int]] = []
    covered = np.zeros((height, width), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        margin_x, margin_y = REGION_MARGIN * (x1 - x0), REGION_MARGIN * (y1 - y0)
        left, top = max(0, int((x0 - margin_x) * width)), max(0, int((y0 - margin_y) * height))
        right = min(width, math.ceil((x1 + margin_x) * width))
        bottom = min(height, math.ceil((y1 + margin_y) * height))
        if min(right - left, bottom - top) >= SMALLEST_FACE_PX:
            regions.append((left, top, right, bottom))
            covered[top:bottom, left:right] = True
    return None if covered.mean() > WHOLE_FRAME_SHARE else regions


def drop_nested(boxes: list[FaceBox]) -> list[FaceBox]:
    """``boxes`` (largest first) without those mostly inside a larger kept one."""
    kept: list[FaceBox] = []
    for box in boxes:
        if all(_inside_share(box, larger) <= NESTED_SHARE for larger in kept):
            kept.append(box)
    return kept


def _inside_share(inner: FaceBox, outer: FaceBox) -> float:
    width = min(inner.x + inner.w, outer.x + outer.w) - max(inner.x, outer.x)
    height = min(inner.y + inner.h, outer.y + outer.h) - max(inner.y, outer.y)
    area = inner.w * inner.h
    return max(0.0, width) * max(0.0, height) / area if area > 0 else 0.0
