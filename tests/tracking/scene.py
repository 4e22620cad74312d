"""Clips with known truth for the tracking tests: real people cut out of opencv-doc's vtest.avi
(a street filmed from above) walking across the same street with nobody on it.

The empty street is the per-pixel median of frames spread over the whole video (every walker
moves on, the pavement stays). A person is cut out where a frame differs from it, inside a box
the detector found around an isolated walker; that silhouette, with its own pixels, is then
pasted along a path we choose, so where everyone is at every instant is known exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from videolens.tracking.ssd import SsdNetwork

Image = NDArray[np.uint8]


@dataclass(frozen=True)
class CutOut:
    """A person's pixels (BGR) and where they are (mask 0/1), cropped to the silhouette."""

    pixels: Image
    mask: NDArray[np.bool_]

    def scaled(self, factor: float) -> CutOut:
        height, width = self.mask.shape
        size = (max(2, round(width * factor)), max(2, round(height * factor)))
        pixels = cv2.resize(self.pixels, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(self.mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        return CutOut(pixels, mask.astype(bool))

    def dressed(self, bgr: tuple[int, int, int]) -> CutOut:
        """The same person in a top of colour ``bgr`` (shading kept): the silhouette's pixels
        from 18% to 55% of its height, the torso, recoloured."""
        height = self.mask.shape[0]
        pixels = self.pixels.copy()
        top, bottom = round(0.18 * height), round(0.55 * height)
        band = self.mask.copy()
        band[:top] = False
        band[bottom:] = False
        grey = cv2.cvtColor(self.pixels, cv2.COLOR_BGR2GRAY).astype(np.float32)
        shade = np.clip(0.6 + grey / 255.0, 0.6, 1.3)[band]
        pixels[band] = np.clip(np.array(bgr, dtype=np.float32) * shade[:, None], 0, 255)
        return CutOut(pixels.astype(np.uint8), self.mask)


@dataclass(frozen=True)
class Walk:
    """A person on a straight path from ``start`` to ``end`` (top-left corner of the cut-out,
    pixels; may lie outside the frame) between ``from_s`` and ``to_s``."""

    person: CutOut
    from_s: float
    to_s: float
    start: tuple[float, float]
    end: tuple[float, float]

    def at(self, t: float) -> tuple[int, int] | None:
        if not self.from_s <= t <= self.to_s:
            return None
        share = (t - self.from_s) / max(1e-9, self.to_s - self.from_s)
        x = self.start[0] + share * (self.end[0] - self.start[0])
        y = self.start[1] + share * (self.end[1] - self.start[1])
        return round(x), round(y)


def street_and_walkers(vtest: Path, count: int) -> tuple[Image, list[CutOut]]:
    """vtest.avi's street with nobody on it, and ``count`` walkers cut out of it."""
    frames = read_frames(vtest, every=10)
    street = empty_street(frames)
    return street, cut_out_people(frames[::2], street, count=count)


def read_frames(path: Path, every: int) -> list[Image]:
    capture = cv2.VideoCapture(str(path))
    frames: list[Image] = []
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % every == 0:
            frames.append(frame)
        index += 1
    capture.release()
    return frames


def empty_street(frames: Sequence[Image]) -> Image:
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def cut_out_people(frames: Sequence[Image], street: Image, count: int) -> list[CutOut]:
    """``count`` walkers, the most confidently detected isolated ones (one per frame)."""
    network = SsdNetwork()
    height, width = street.shape[:2]
    found: list[tuple[float, CutOut]] = []
    for frame in frames:
        people = [b for b in network.run(frame) if b.label == "person" and b.score >= 0.6]
        for box in people:
            others = [o for o in people if o is not box]
            x0, y0 = max(0, int(box.x0) - 4), max(0, int(box.y0) - 4)
            x1, y1 = min(width, int(box.x1) + 4), min(height, int(box.y1) + 4)
            if y1 - y0 < 70 or any(_overlaps((x0, y0, x1, y1), o) for o in others):
                continue
            if x0 == 0 or y0 == 0 or x1 == width or y1 == height:
                continue
            cut = _silhouette(frame[y0:y1, x0:x1], street[y0:y1, x0:x1])
            if cut is not None and _one_upright_walker(cut):
                found.append((box.score, cut))
                break  # one per frame: the same walker is not taken twice in a row
    found.sort(key=lambda item: -item[0])
    return [cut for _, cut in found[:count]]


def _one_upright_walker(cut: CutOut) -> bool:
    """Side-on walkers here are 2.3-3.3 times as tall as wide; a wider silhouette held two
    people, or a walker and their shadow, in the frames tried."""
    height, width = cut.mask.shape
    return height >= 2.25 * width


def _overlaps(box: tuple[int, int, int, int], other: object) -> bool:
    x0, y0, x1, y1 = box
    ox0, oy0, ox1, oy1 = (getattr(other, name) for name in ("x0", "y0", "x1", "y1"))
    return not (ox1 < x0 or ox0 > x1 or oy1 < y0 or oy0 > y1)


def _silhouette(crop: Image, background: Image) -> CutOut | None:
    difference = cv2.absdiff(crop, background).max(axis=2)
    mask = (difference > 28).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    person = labels == biggest
    if person.sum() < 0.2 * person.size:
        return None
    ys, xs = np.nonzero(person)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return CutOut(crop[y0:y1, x0:x1].copy(), person[y0:y1, x0:x1])


def paste(frame: Image, person: CutOut, at: tuple[int, int]) -> None:
    """Paste ``person`` with its top-left corner at ``at`` (clipped by the frame's edges)."""
    height, width = frame.shape[:2]
    ph, pw = person.mask.shape
    x, y = at
    fx0, fy0, fx1, fy1 = max(0, x), max(0, y), min(width, x + pw), min(height, y + ph)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    mask = person.mask[fy0 - y : fy1 - y, fx0 - x : fx1 - x]
    region = frame[fy0:fy1, fx0:fx1]
    region[mask] = person.pixels[fy0 - y : fy1 - y, fx0 - x : fx1 - x][mask]


def write_scene(
    path: Path,
    street: Image,
    walks: Sequence[Walk],
    *,
    duration_s: float,
    fps: int = 10,
    flashes: Sequence[tuple[float, CutOut, tuple[int, int]]] = (),
) -> None:
    """Encode the street with ``walks`` (and ``flashes``: a person shown in one frame only)."""
    height, width = street.shape[:2]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("h264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for index in range(round(duration_s * fps)):
            t = index / fps
            frame = street.copy()
            for walk in walks:
                where = walk.at(t)
                if where is not None:
                    paste(frame, walk.person, where)
            for flash_t, person, where in flashes:
                if abs(flash_t - t) < 0.5 / fps:
                    paste(frame, person, where)
            image = av.VideoFrame.from_ndarray(frame, format="bgr24")
            container.mux(stream.encode(image))
        container.mux(stream.encode())
