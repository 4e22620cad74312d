"""Dominant colours: k-means on a thumbnail, each cluster named from a small basic-colour table."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from videolens.timeline.model import COLOUR_NAMES
from videolens.tracking.colour import name_pixels

__all__ = ["COLOUR_NAMES", "ColourShare", "colour_name", "dominant_colours"]

CLUSTERS = 4
THUMBNAIL_SIDE = 64
"""k-means runs on a copy with its long side this many pixels (~2.3k pixels for 16:9)."""
MIN_SHARE = 0.03
"""Colours covering less of the frame than this are not reported."""


@dataclass(frozen=True)
class ColourShare:
    """One dominant colour: its basic name, its mean value as ``#rrggbb``, its share 0..1."""

    name: str
    hex: str
    share: float

    def as_dict(self) -> dict[str, str | float]:
        return asdict(self)


def colour_name(rgb: tuple[int, int, int]) -> str:
    """The basic colour name of an RGB triple (the vocabulary and rules of
    ``videolens.tracking.colour``, which names detected objects too)."""
    return str(name_pixels(np.array([[rgb]], dtype=np.uint8))[0, 0])


def dominant_colours(image: NDArray[np.uint8], clusters: int = CLUSTERS) -> list[ColourShare]:
    """The main colours of a BGR image, largest share first; same-named clusters merged."""
    height, width = image.shape[:2]
    scale = min(1.0, THUMBNAIL_SIDE / max(height, width))
    thumb = cv2.resize(
        image,
        (max(1, round(width * scale)), max(1, round(height * scale))),
        # Nearest, not area: averaging would invent colours along edges (red + white = "pink").
        interpolation=cv2.INTER_NEAREST,
    )
    pixels = cv2.cvtColor(thumb, cv2.COLOR_BGR2RGB).reshape(-1, 3).astype(np.float32)
    count = min(clusters, len(pixels))
    labels = _initial_labels(pixels, count)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    _, final_labels, centres = cv2.kmeans(
        pixels, count, labels, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS
    )
    sizes = np.bincount(np.asarray(final_labels).ravel(), minlength=count).astype(np.float64)
    return _merge_by_name(np.asarray(centres, dtype=np.float32), sizes / sizes.sum())


def _initial_labels(pixels: NDArray[np.float32], count: int) -> NDArray[np.int32]:
    """Seeds from the most common coarse colour bins: deterministic (no RNG) and a good start
    for video frames, which are mostly large flat regions."""
    coarse = (pixels // 32).astype(np.int32)
    keys = coarse[:, 0] * 64 + coarse[:, 1] * 8 + coarse[:, 2]
    values, first_seen, frequency = np.unique(keys, return_index=True, return_counts=True)
    order = np.lexsort((values, -frequency))[:count]
    seeds = pixels[first_seen[order]]
    # Fewer distinct bins than clusters: repeat seeds; duplicate clusters merge by name later.
    seeds = np.resize(seeds, (count, 3))
    distances = ((pixels[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
    labels: NDArray[np.int32] = distances.argmin(axis=1).astype(np.int32)
    # cv2.kmeans needs every label present at least once to compute starting centres.
    labels[:count] = np.arange(count, dtype=np.int32)
    return labels.reshape(-1, 1)


def _merge_by_name(centres: NDArray[np.float32], shares: NDArray[np.float64]) -> list[ColourShare]:
    merged: dict[str, tuple[float, NDArray[np.float64]]] = {}
    for centre, share in zip(centres, shares, strict=True):
        if share <= 0:
            continue
        rgb = np.clip(np.rint(centre), 0, 255).astype(np.float64)
        name = colour_name((int(rgb[0]), int(rgb[1]), int(rgb[2])))
        total, weighted = merged.get(name, (0.0, np.zeros(3)))
        merged[name] = (total + float(share), weighted + rgb * float(share))
    result = []
    for name, (share, weighted) in merged.items():
        if share < MIN_SHARE:
            continue
        red, green, blue = (int(value) for value in np.rint(weighted / share))
        result.append(ColourShare(name, f"#{red:02x}{green:02x}{blue:02x}", round(share, 3)))
    return sorted(result, key=lambda colour: (-colour.share, colour.name))
