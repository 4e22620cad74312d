"""People and everyday objects: the tracking package's SSD-MobileNetV2 COCO detector on one
frame, and the counting and wording rules of the basic backend.

Within an analysed video the detection pass (``videolens.tracking``) has already found and
tracked them on the decoded frames; a frame then comes with its detections and nothing is
detected again here. Without the model's package the basic backend detects no objects.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from videolens.backends.base import BackendUnavailableError
from videolens.timeline.model import Detection as TrackedDetection
from videolens.tracking import DetectorUnavailableError, FrameDetector, SsdNetwork
from videolens.tracking.detect import non_max_suppression
from videolens.tracking.ssd import COCO_LABELS, detector_missing_reason, model_files

__all__ = [
    "COCO_LABELS",
    "Detection",
    "ObjectDetector",
    "count_labels",
    "detector_missing_reason",
    "model_files",
    "plural",
    "suppress_overlaps",
]

OVERLAP_IOU = 0.45
"""Two boxes overlapping more than this (intersection over union) are one thing, whatever their
labels: the model calls one van both "car" and "truck" and boxes one walker twice."""
NESTED_SHARE = 0.8
"""A box this much inside a higher-scoring one is the same thing too (a walker's torso boxed
again inside the whole walker scores a low IoU but is no second person)."""

_IRREGULAR_PLURALS = {
    "person": "people", "mouse": "mice", "knife": "knives", "sheep": "sheep", "skis": "skis",
    "scissors": "scissors", "tv": "tvs",
}  # fmt: skip


@dataclass(frozen=True)
class Detection:
    """One detected thing: its COCO label, the model's score, and its box normalised 0..1 as
    ``(x0, y0, x1, y1)`` from the top-left corner."""

    label: str
    score: float
    box: tuple[float, float, float, float]
    colour: str | None = None

    @classmethod
    def of(cls, tracked: TrackedDetection) -> Detection:
        """One of the detection pass's detections."""
        x0, y0, x1, y1 = tracked.box
        return cls(tracked.label, tracked.score, (x0, y0, x1, y1), tracked.colour)

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"label": self.label, "score": self.score, "box": list(self.box)}
        if self.colour:
            found["colour"] = self.colour
        return found

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


class ObjectDetector:
    """Finds COCO objects in one BGR image (the whole image in one network pass, merged per
    class as the detection pass does); built once, holds the loaded network."""

    def __init__(self) -> None:
        try:
            self._detector = FrameDetector(SsdNetwork())
        except DetectorUnavailableError as exc:
            raise BackendUnavailableError(str(exc)) from exc

    def detect(self, image: NDArray[np.uint8]) -> list[Detection]:
        """Things in ``image``, one detection per thing, highest score first."""
        return [Detection.of(found) for found in self._detector.detect(image)]


def suppress_overlaps(
    detections: list[Detection], iou: float = OVERLAP_IOU, nested: float = NESTED_SHARE
) -> list[Detection]:
    """Class-agnostic non-maximum suppression: highest score first, a box that overlaps a kept
    one by more than ``iou``, or lies more than ``nested`` inside it, is dropped."""
    ranked = sorted(detections, key=lambda d: (-d.score, d.label, d.box))
    return non_max_suppression(ranked, lambda d: d.box, iou=iou, nested=nested)


def plural(label: str) -> str:
    """``person`` -> ``people``, ``bus`` -> ``buses``, ``car`` -> ``cars``."""
    if label in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[label]
    head, _, last = label.rpartition(" ")
    if head:
        return f"{head} {plural(last)}"
    if label.endswith(("s", "sh", "ch", "x")):
        return label + "es"
    return label + "s"


def count_labels(detections: list[Detection]) -> list[str]:
    """Readable counted labels, people first then by count and label:
    ``["3 people", "car", "2 dogs"]``."""
    counts = Counter(d.label for d in detections)
    order = sorted(counts, key=lambda label: (label != "person", -counts[label], label))
    return [label if counts[label] == 1 else f"{counts[label]} {plural(label)}" for label in order]
