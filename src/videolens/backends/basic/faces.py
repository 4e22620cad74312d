"""Frontal faces with OpenCV's Haar cascade (ships with opencv-python 4.x)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import cv2.data as cv2_data
import numpy as np
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
MIN_NEIGHBOURS = 5
"""Overlapping detections a face needs; higher trades missed faces for fewer false ones. With
``alt``, 7 lost a tilted face that 5 found, and 5 claimed none on the face-free frames above."""
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

    def find(self, image: NDArray[np.uint8]) -> list[FaceBox]:
        """Faces in ``image``, largest first."""
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        height, width = grey.shape[:2]
        scale = min(1.0, DETECTION_MAX_SIDE / max(height, width))
        if scale < 1.0:
            grey = cv2.resize(
                grey, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
            )
        small_h, small_w = grey.shape[:2]
        found = self._cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=MIN_NEIGHBOURS)
        boxes = [
            FaceBox(
                x=round(x / small_w, 4),
                y=round(y / small_h, 4),
                w=round(w / small_w, 4),
                h=round(h / small_h, 4),
            )
            for x, y, w, h in (tuple(int(v) for v in box) for box in found)
        ]
        return drop_nested(sorted(boxes, key=lambda box: box.w * box.h, reverse=True))


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
