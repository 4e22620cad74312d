"""Frontal faces with OpenCV's Haar cascade (ships with opencv-python 4.x)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import cv2.data as cv2_data
import numpy as np
from numpy.typing import NDArray

from videolens.backends.base import BackendUnavailableError

CASCADE_FILE = "haarcascade_frontalface_alt2.xml"
"""The ``alt2`` frontal-face cascade rather than ``default``: ``default`` took the letters of
black-on-white title plates for faces (every WELCOME and HARBOR frame of the demo clip). Measured
on 564 face-free frames (demo-clip frames, 140 title cards, 19 scikit-image photos) and 34 frames
with a face (drawn faces, the scikit-image astronaut at several sizes): ``default`` with 5
neighbours claimed faces on 102 face-free frames and found 16 faces, ``alt2`` with 7 neighbours
claimed none and found 22, in about the same time."""
DETECTION_MAX_SIDE = 640
"""Faces are searched on a greyscale copy with its long side capped here.

With ``alt2``'s 20 px window this reaches faces down to ~6% of a 16:9 frame's height (in
practice the neighbour count needs somewhat larger ones). Measured with the ``default`` cascade,
512 was ~1.5x faster on textured frames (~80 vs ~125 ms at 768x432) but missed more of the drawn
test faces; ``alt2`` at 640 takes about what ``default`` did (~100-140 ms textured, 2 cores)."""
MIN_NEIGHBOURS = 7
"""Overlapping detections a face needs; higher trades missed faces for fewer false ones.

With ``alt2``, 5 still claimed a face in a photo of coins and 6 did too; 7 claimed none in the
measured set and lost one astronaut (face ~13% of the frame height) that 5 found. A face that is
reported but absent misleads more than one that is missed."""


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
        grey = cv2.equalizeHist(grey)
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
        return sorted(boxes, key=lambda box: box.w * box.h, reverse=True)
