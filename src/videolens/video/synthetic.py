"""Synthetic clips with known content: cuts, fades and dissolves at known times, known text.

Used by the tests and benchmarks (which must generate their own media) and by ``videolens demo``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class Overlay:
    """Words shown on screen from ``start_s`` to ``end_s`` (seconds from the shot's start), in the
    upper part of the picture, as a caption or a sign would appear within one shot."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Shot:
    """One shot: a background colour, optional caption text, and a box moving across it.

    ``transition`` says how the shot begins: ``"cut"``, ``"dissolve"`` (the previous shot's last
    picture blends into this one over ``transition_s``) or ``"fade"`` (the previous picture fades
    to black over the first half of ``transition_s``, then this shot fades in from black).
    The transition takes the first ``transition_s`` of this shot's duration.
    """

    duration_s: float
    color: tuple[int, int, int]
    text: str = ""
    moving_box: bool = True
    overlays: tuple[Overlay, ...] = ()
    transition: str = "cut"
    transition_s: float = 0.0


@dataclass(frozen=True)
class ClipSpec:
    """What was written, so tests can compare analysis results with the truth."""

    path: Path
    shots: tuple[Shot, ...]
    fps: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return sum(shot.duration_s for shot in self.shots)

    @property
    def cut_times_s(self) -> list[float]:
        """Start times of every shot after the first (where its cut or transition begins)."""
        times, elapsed = [], 0.0
        for shot in self.shots[:-1]:
            elapsed += shot.duration_s
            times.append(elapsed)
        return times

    def shot_at(self, timestamp_s: float) -> Shot:
        elapsed = 0.0
        for shot in self.shots:
            elapsed += shot.duration_s
            if timestamp_s < elapsed:
                return shot
        return self.shots[-1]


DEMO_SHOTS: tuple[Shot, ...] = (
    Shot(4.0, (200, 40, 40), "WELCOME"),
    Shot(5.0, (30, 120, 200), "HARBOR"),
    Shot(3.0, (30, 30, 30), ""),
    Shot(6.0, (240, 220, 60), "SUNRISE"),
    Shot(4.0, (40, 160, 80), "THE END"),
)


def _background(shot: Shot, width: int, height: int, texture: Frame | None) -> Frame:
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = shot.color
    if texture is not None:
        cv2.add(frame, texture, dst=frame)
    if shot.text:
        scale = height / 160
        thickness = max(2, int(scale * 2.5))
        (text_w, text_h), _ = cv2.getTextSize(shot.text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        origin = ((width - text_w) // 2, (height + text_h) // 2)
        # White plate behind black letters keeps the text legible on any background colour.
        pad = int(text_h * 0.6)
        cv2.rectangle(
            frame,
            (origin[0] - pad, origin[1] - text_h - pad),
            (origin[0] + text_w + pad, origin[1] + pad),
            (255, 255, 255),
            thickness=-1,
        )
        cv2.putText(
            frame,
            shot.text,
            origin,
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (0, 0, 0),
            thickness,
            cv2.LINE_AA,
        )
    return frame


def _draw_overlay(frame: Frame, text: str) -> None:
    """Black words on a white plate centred in the upper quarter (legible for OCR)."""
    height, width = frame.shape[:2]
    scale = height / 200
    thickness = max(2, int(scale * 2.5))
    (text_w, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    origin = ((width - text_w) // 2, height // 4 + text_h // 2)
    pad = int(text_h * 0.5)
    top_left = (origin[0] - pad, origin[1] - text_h - pad)
    cv2.rectangle(frame, top_left, (origin[0] + text_w + pad, origin[1] + pad), (255, 255, 255), -1)
    cv2.putText(
        frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness, cv2.LINE_AA
    )


def _shot_frame(shot: Shot, background: Frame, i: int, count: int, fps: int) -> Frame:
    frame: Frame = background.copy()
    height, width = frame.shape[:2]
    box = max(8, height // 8)
    if shot.moving_box:
        x = int((width - box) * (i / max(1, count - 1)))
        y = height - 2 * box
        frame[y : y + box, x : x + box] = (250, 250, 250)
    for overlay in shot.overlays:
        if overlay.start_s <= i / fps < overlay.end_s:
            _draw_overlay(frame, overlay.text)
    return frame


def _blend(frame: Frame, previous: Frame | None, shot: Shot, t: float) -> Frame:
    """``frame`` during the first ``transition_s`` of a shot that begins with a transition."""
    if previous is None or shot.transition == "cut" or t >= shot.transition_s:
        return frame
    share = t / shot.transition_s
    if shot.transition == "dissolve":
        mixed = previous * (1.0 - share) + frame * share
    elif shot.transition == "fade":
        mixed = previous * (1.0 - 2 * share) if share < 0.5 else frame * (2 * share - 1.0)
    else:
        raise ValueError(f"unknown transition {shot.transition!r}")
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _frames(
    shots: Sequence[Shot], fps: int, width: int, height: int, textured: bool
) -> Iterator[Frame]:
    rng = np.random.default_rng(7)
    texture = rng.integers(0, 48, size=(height, width, 3), dtype=np.uint8) if textured else None
    previous: Frame | None = None
    for shot in shots:
        background = _background(shot, width, height, texture)
        count = round(shot.duration_s * fps)
        start = previous
        for i in range(count):
            frame = _shot_frame(shot, background, i, count, fps)
            previous = frame
            yield _blend(frame, start, shot, i / fps)


def write_clip(
    path: Path,
    shots: Sequence[Shot] = DEMO_SHOTS,
    *,
    fps: int = 25,
    width: int = 640,
    height: int = 360,
    codec: str = "h264",
    textured: bool = False,
    with_audio: bool = False,
) -> ClipSpec:
    """Encode ``shots`` into ``path`` (H.264 in MP4 by default) and describe what was written.

    ``textured`` adds a fixed noise texture so the clip costs a decoder about what real footage
    does (flat colours decode unrealistically fast).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if codec == "h264":
            stream.options = {"preset": "ultrafast" if textured else "veryfast"}
        audio = _add_silent_audio(container) if with_audio else None
        for frame in _frames(shots, fps, width, height, textured):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            container.mux(stream.encode(video_frame))
        container.mux(stream.encode())
        if audio is not None:
            _write_silence(container, audio, sum(s.duration_s for s in shots))
    return ClipSpec(path=path, shots=tuple(shots), fps=fps, width=width, height=height)


def _add_silent_audio(container: av.container.OutputContainer) -> av.audio.stream.AudioStream:
    stream = container.add_stream("aac", rate=16000)
    stream.layout = "mono"
    return stream


def _write_silence(
    container: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: float
) -> None:
    samples_per_chunk, rate = 1024, 16000
    total, pts = int(seconds * rate), 0
    while pts < total:
        chunk = av.AudioFrame.from_ndarray(
            np.zeros((1, samples_per_chunk), dtype=np.float32), format="fltp", layout="mono"
        )
        chunk.sample_rate, chunk.pts, chunk.time_base = rate, pts, Fraction(1, rate)
        container.mux(stream.encode(chunk))
        pts += samples_per_chunk
    container.mux(stream.encode())
