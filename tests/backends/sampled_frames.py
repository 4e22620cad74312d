"""Frames decoded from a video and saved as the sampler saves them, for the backend tests."""

from __future__ import annotations

from pathlib import Path

import av

from videolens.backends import FrameInput
from videolens.video.decode import save_jpeg


def frames_at(
    video: Path, times_s: list[float], out: Path, first_index: int = 0
) -> list[FrameInput]:
    """Decode ``video`` once and save the first frame at or after each time as the sampler does
    (768 px long side, JPEG quality 85); indices count on from ``first_index``."""
    wanted, frames = sorted(times_s), []
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        for decoded in container.decode(stream):
            timestamp = float(decoded.pts * stream.time_base)
            if not wanted or timestamp + 1e-6 < wanted[0]:
                continue
            wanted.pop(0)
            index = first_index + len(frames)
            path = out / f"{video.stem}_{index:03d}.jpg"
            save_jpeg(decoded, path, max_side=768, quality=85, rotation=0)
            frames.append(FrameInput(index, timestamp, str(path)))
    assert not wanted, f"{video.name} ended before {wanted}"
    return frames
