"""On-screen text with RapidOCR (PP-OCRv4 ONNX models shipped inside the wheel, CPU only)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from videolens.backends.base import BackendError

MIN_TEXT_CONFIDENCE = 0.75
"""Recognised lines scoring below this are dropped (noise on textures scores lower)."""

DETECTION_MAX_SIDE = 768
"""The text detector sees the frame with its long side capped here.

RapidOCR's default (short side raised to 736) upscales a 768x432 frame to 1308x736 and costs
~0.5-0.75 s on two cores; capping the long side at 768 costs ~0.2 s and still reads captions of
~15 px letter height. Measured on synthetic 768x432 frames.
"""

ONNX_THREADS = 1
"""Threads per ONNX session. The analysis runs the describing beside sampling, the detection
pass and speech on two cores, where ONNX Runtime's default (a thread per core, spinning while it
waits) burnt twice the CPU for the same frame: 457 ms CPU a 960x540 vtest.avi frame against 212
ms with one thread, measured on the loaded 2-core CI machine."""

WORD_GAP = 1.0
"""Boxes on one row closer than this many line heights are one line (the detector sometimes
splits a caption at wide word spaces)."""

BGRImage = NDArray[np.uint8]


def ocr_missing_reason() -> str:
    """Why OCR cannot run here, or ``""`` when its packages are installed (imports nothing)."""
    for module in ("rapidocr_onnxruntime", "onnxruntime"):
        if importlib.util.find_spec(module) is None:
            return (
                f"on-screen text (OCR) disabled: {module} is not installed; "
                "install rapidocr-onnxruntime to read text"
            )
    return ""


class TextReader:
    """Reads lines of text from a BGR image; built once, holds the ONNX sessions."""

    def __init__(
        self,
        min_confidence: float = MIN_TEXT_CONFIDENCE,
        detection_max_side: int = DETECTION_MAX_SIDE,
    ) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._min_confidence = min_confidence
        # The angle classifier only fixes upside-down lines, which video captions never are;
        # skipping it saves ~20% per frame.
        self._engine: Any = RapidOCR(
            det_limit_type="max",
            det_limit_side_len=detection_max_side,
            use_cls=False,
            text_score=min_confidence,
            intra_op_num_threads=ONNX_THREADS,
        )

    def read(self, image: BGRImage) -> list[str]:
        """Text lines in reading order: top to bottom, then left to right within a row."""
        try:
            result, _ = self._engine(image)
        except Exception as exc:  # the engine raises bare ValueError/RuntimeError/ORT errors
            raise BackendError(f"OCR failed on a frame: {exc}") from exc
        boxes: list[_Box] = []
        for box, text, score in result or []:
            cleaned = str(text).strip()
            if not cleaned or float(score) < self._min_confidence:
                continue
            points = np.asarray(box, dtype=np.float32)
            boxes.append(
                _Box(
                    top=float(points[:, 1].min()),
                    bottom=float(points[:, 1].max()),
                    left=float(points[:, 0].min()),
                    right=float(points[:, 0].max()),
                    text=cleaned,
                )
            )
        return [line.text for line in _reading_order(boxes) if _worth_reading(line.text)]


MIN_LINE_CHARACTERS = 2
"""Lines with fewer letters or digits are dropped: a lone glyph is what the recogniser makes of
texture most often (an eye in a film frame read as "9" at 0.77)."""


def _worth_reading(text: str) -> bool:
    return sum(character.isalnum() for character in text) >= MIN_LINE_CHARACTERS


@dataclass
class _Box:
    top: float
    bottom: float
    left: float
    right: float
    text: str


def _reading_order(boxes: list[_Box]) -> list[_Box]:
    """Rows top to bottom (a box whose vertical centre falls inside a row's first box joins
    it), boxes left to right within a row; words the detector split apart are joined again
    when the gap between them is under ``WORD_GAP`` line heights."""
    rows: list[list[_Box]] = []
    for box in sorted(boxes, key=lambda item: (item.top + item.bottom) / 2):
        centre = (box.top + box.bottom) / 2
        if rows and rows[-1][0].top <= centre <= rows[-1][0].bottom:
            rows[-1].append(box)
        else:
            rows.append([box])
    lines: list[_Box] = []
    for row in rows:
        merged: list[_Box] = []
        for box in sorted(row, key=lambda item: item.left):
            last = merged[-1] if merged else None
            height = min(box.bottom - box.top, last.bottom - last.top) if last else 0.0
            if last is not None and box.left - last.right <= WORD_GAP * height:
                last.text = f"{last.text} {box.text}"
                last.right = max(last.right, box.right)
                last.top, last.bottom = min(last.top, box.top), max(last.bottom, box.bottom)
            else:
                merged.append(box)
        lines.extend(merged)
    return lines
