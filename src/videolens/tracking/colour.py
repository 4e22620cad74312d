"""Colour names for pixels and for a detected thing's own pixels, from a small vocabulary.

Rules on hue, saturation and value rather than a nearest-prototype distance: distances put dark
blues next to black and pale colours next to white in ways people do not name them.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from numpy.typing import NDArray

# Hue bands in degrees (start inclusive, end exclusive) for saturated colours.
HUE_BANDS: tuple[tuple[float, float, str], ...] = (
    (0, 15, "red"),
    (15, 45, "orange"),
    (45, 70, "yellow"),
    (70, 165, "green"),
    (165, 195, "cyan"),
    (195, 255, "blue"),
    (255, 290, "purple"),
    (290, 345, "pink"),
    (345, 360, "red"),
)
MIN_PIXELS = 12
"""A region with fewer pixels than this has no colour worth naming."""
MIN_SHARE = 0.3
"""The most common name must cover this share of the region, or the thing is multicoloured."""
# Where a thing's own colour is, as fractions of its box (x0, y0, x1, y1): a person's torso (the
# jacket or dress, not the face, the legs or the street between them); the middle of anything
# else, away from the background at its edges.
PERSON_REGION = (0.25, 0.18, 0.75, 0.5)
OBJECT_REGION = (0.25, 0.25, 0.75, 0.75)


def name_pixels(rgb: NDArray[np.uint8]) -> NDArray[np.str_]:
    """The colour name of each pixel of an ``(..., 3)`` RGB array."""
    hue, sat, val = _hsv(rgb.reshape(-1, 3).astype(np.float64) / 255.0)
    names = np.full(hue.shape, "red", dtype="<U6")
    for start, end, band in HUE_BANDS:
        names[(hue >= start) & (hue < end)] = band
    names[np.isin(names, ["orange", "yellow"]) & (val < 0.6)] = "brown"
    names[(names == "red") & (sat < 0.5) & (val > 0.7)] = "pink"
    names[(names == "pink") & (val < 0.55)] = "purple"
    unsaturated = (sat < 0.2) | ((sat < 0.3) & (val < 0.4))
    names[unsaturated] = np.where(val[unsaturated] > 0.85, "white", "grey")
    names[val < 0.2] = "black"
    return names.reshape(rgb.shape[:-1])


def _hsv(
    rgb: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Hue in degrees, saturation and value 0..1, as ``colorsys.rgb_to_hsv`` computes them (in
    float64: OpenCV's float32 puts a hue of exactly 165 degrees a hair below the band edge)."""
    red, green, blue = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    high, low = rgb.max(axis=1), rgb.min(axis=1)
    spread = high - low
    safe = np.where(spread > 0, spread, 1.0)
    rc, gc, bc = (high - red) / safe, (high - green) / safe, (high - blue) / safe
    sector = np.where(high == red, bc - gc, np.where(high == green, 2.0 + rc - bc, 4.0 + gc - rc))
    # colorsys's arithmetic to the last bit: a hue on a band's edge is named as it always was.
    hue = np.where(spread > 0, ((sector / 6.0) % 1.0) * 360.0, 0.0)
    sat = np.where(high > 0, spread / np.where(high > 0, high, 1.0), 0.0)
    return hue, sat, high


def region_colour(
    image: NDArray[np.uint8], box: tuple[int, int, int, int], label: str
) -> str | None:
    """The colour of the thing boxed at ``box`` (pixels) in a BGR image, or None when its own
    region is too small or no colour dominates it."""
    x0, y0, x1, y1 = box
    fx0, fy0, fx1, fy1 = PERSON_REGION if label == "person" else OBJECT_REGION
    w, h = x1 - x0, y1 - y0
    region = image[
        max(0, round(y0 + fy0 * h)) : max(0, round(y0 + fy1 * h)),
        max(0, round(x0 + fx0 * w)) : max(0, round(x0 + fx1 * w)),
    ]
    if region.shape[0] * region.shape[1] < MIN_PIXELS:
        return None
    names = name_pixels(region[..., ::-1])
    name, count = Counter(names.ravel().tolist()).most_common(1)[0]
    return str(name) if count >= MIN_SHARE * names.size else None
