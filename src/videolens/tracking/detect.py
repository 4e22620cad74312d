"""Detection on a decoded frame at full resolution, tiled where people are small.

A pass over the whole frame finds what is large; overlapping tiles, each given to the network
on its own, find what is small (a 60 px person in a 1080p frame is ~17 px to the network in a
whole-frame pass and ~37 px in a 480 px tile). Boxes from all passes are merged per class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from videolens.timeline.model import Detection
from videolens.tracking.colour import region_colour
from videolens.tracking.ssd import RawBox, SsdNetwork

SCORE_THRESHOLD = 0.5
"""People and road vehicles below this are dropped. Measured on 40 vtest.avi frames: at 0.5 every
walker was found in all 40 and the parked van survived in 14; at 0.4 duplicates came back."""
OTHER_SCORE_THRESHOLD = 0.7
"""Every other class needs this much: walkers' feet scored "skis" up to 0.62 and lawn a "sports
ball" 0.68 on 159 vtest.avi frames; a lit skyline scored "book" 0.72 (see FRAME_FILLING_AREA)."""
CONFIDENT_CLASSES = frozenset({"person", "bicycle", "car", "motorcycle", "bus", "truck"})
FRAME_FILLING_AREA = 0.6
"""Other classes boxed over more than this share of the frame are dropped."""
VEHICLES = frozenset({"car", "truck", "bus"})
"""One group for overlap suppression: the model calls one van both "car" and "truck"."""
OVERLAP_IOU = 0.45
NESTED_SHARE = 0.8
"""A box this much inside a higher-scoring one of the same group is the same thing (a walker's
legs boxed again inside the whole walker)."""
MIN_SIDE_PX = 8
PERSON_MAX_WIDTH_RATIO = 1.2
"""A "person" box wider than this times its height is not one upright person: on vtest.avi such
boxes covered a man's legs and a tripod, or two walkers side by side."""
CLOSE_UP_HEIGHT = 0.5
"""...unless it is this tall a share of the frame: head and shoulders in a close-up are wider
than they are tall (Megamind.avi)."""
TILE_SIDE = 480
TILE_OVERLAP = 120
"""Tiles overlap by this many pixels, so a thing up to this size lies whole in some tile."""
TILE_MIN_SHORT_SIDE = 900
"""Frames smaller than this are never tiled. In a 576-720 px high frame a 60 px person is still
25-31 px to the whole-frame pass, and tiles cost a network pass each (~0.1 s CPU): on vtest.avi
(768x576) tiling four tiles found a few more far walkers at 5x the cost, which the analysis of a
long video cannot pay on two cores. A 1080p frame is tiled where a probe finds small things."""
EDGE_PX = 2

_Boxed = TypeVar("_Boxed")


@dataclass(frozen=True)
class FrameDetector:
    """Finds COCO objects in BGR frames; holds the loaded network."""

    network: SsdNetwork

    def detect(self, image: NDArray[np.uint8], *, tiled: bool = False) -> list[Detection]:
        """Things in ``image``, one per thing, highest score first, each with its colour."""
        height, width = image.shape[:2]
        boxes = self.network.run(image)
        if tiled:
            for region in tile_regions(width, height):
                boxes.extend(
                    box
                    for box in self.network.run(image, region)
                    if not _cut_by_tile(box, region, width, height)
                )
        kept = merge_boxes([box for box in boxes if _plausible(box, width, height)])
        return [_detection(image, box, width, height) for box in kept]


def tile_regions(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Overlapping ``TILE_SIDE`` squares covering the frame; none for a frame under
    ``TILE_MIN_SHORT_SIDE`` high (or wide)."""
    if min(width, height) < TILE_MIN_SHORT_SIDE:
        return []
    return [
        (x0, y0, min(width, x0 + TILE_SIDE), min(height, y0 + TILE_SIDE))
        for y0 in _starts(height)
        for x0 in _starts(width)
    ]


def _starts(length: int) -> list[int]:
    if length <= TILE_SIDE:
        return [0]
    count = math.ceil((length - TILE_OVERLAP) / (TILE_SIDE - TILE_OVERLAP))
    step = (length - TILE_SIDE) / (count - 1)
    return [round(i * step) for i in range(count)]


def _cut_by_tile(box: RawBox, region: tuple[int, int, int, int], width: int, height: int) -> bool:
    """The box touches a tile edge inside the frame: only part of the thing is in this tile."""
    x0, y0, x1, y1 = region
    return (
        (x0 > 0 and box.x0 <= x0 + EDGE_PX)
        or (y0 > 0 and box.y0 <= y0 + EDGE_PX)
        or (x1 < width and box.x1 >= x1 - EDGE_PX)
        or (y1 < height and box.y1 >= y1 - EDGE_PX)
    )


def threshold(label: str) -> float:
    """The score a detection of ``label`` needs to be kept."""
    return SCORE_THRESHOLD if label in CONFIDENT_CLASSES else OTHER_SCORE_THRESHOLD


def _plausible(box: RawBox, width: int, height: int) -> bool:
    box_w, box_h = box.x1 - box.x0, box.y1 - box.y0
    if box.score < threshold(box.label) or min(box_w, box_h) < MIN_SIDE_PX:
        return False
    if (
        box.label == "person"
        and box_w > PERSON_MAX_WIDTH_RATIO * box_h
        and box_h < CLOSE_UP_HEIGHT * height
    ):
        return False
    share = box_w * box_h / (width * height)
    return box.label in CONFIDENT_CLASSES or share <= FRAME_FILLING_AREA


def class_group(label: str) -> str:
    """The group overlapping boxes are merged and tracked in: vehicles together, else the class."""
    return "vehicle" if label in VEHICLES else label


def merge_boxes(boxes: list[RawBox]) -> list[RawBox]:
    """Non-maximum suppression within each group of classes: highest score first, a box that
    overlaps a kept one by more than ``OVERLAP_IOU``, or lies ``NESTED_SHARE`` inside it, goes."""
    ranked = sorted(boxes, key=lambda b: (-b.score, b.label, b.x0, b.y0))
    return non_max_suppression(ranked, lambda b: b.xyxy, group=lambda b: class_group(b.label))


def non_max_suppression(
    ranked: Iterable[_Boxed],
    box: Callable[[_Boxed], Sequence[float]],
    *,
    group: Callable[[_Boxed], str] | None = None,
    iou: float = OVERLAP_IOU,
    nested: float = NESTED_SHARE,
) -> list[_Boxed]:
    """Greedy non-maximum suppression of ``ranked`` (best first): a candidate whose ``box``
    overlaps a kept one of its ``group`` (None: any kept one) by more than ``iou``, or lies more
    than ``nested`` inside it, is dropped."""
    kept: list[_Boxed] = []
    for candidate in ranked:
        rivals = kept if group is None else [k for k in kept if group(k) == group(candidate)]
        if all(
            box_iou(box(candidate), box(other)) <= iou
            and inside_share(box(candidate), box(other)) <= nested
            for other in rivals
        ):
            kept.append(candidate)
    return kept


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes."""
    shared = _shared(a, b)
    union = _area(a) + _area(b) - shared
    return shared / union if union > 0 else 0.0


def _area(box: Sequence[float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _shared(a: Sequence[float], b: Sequence[float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def inside_share(inner: Sequence[float], outer: Sequence[float]) -> float:
    """How much of ``inner``'s area lies inside ``outer``, 0..1."""
    area = _area(inner)
    return _shared(inner, outer) / area if area > 0 else 0.0


def _detection(image: NDArray[np.uint8], box: RawBox, width: int, height: int) -> Detection:
    pixels = (round(box.x0), round(box.y0), round(box.x1), round(box.y1))
    return Detection(
        label=box.label,
        score=round(box.score, 3),
        box=[
            round(box.x0 / width, 4),
            round(box.y0 / height, 4),
            round(box.x1 / width, 4),
            round(box.y1 / height, 4),
        ],
        colour=region_colour(image, pixels, box.label),
    )
