"""Seeks for reads that must begin at or before a time, in every container.

MP4, MOV and AVI seek through an index and land on the keyframe at or before the target.
MPEG-TS and other formats without one bisect timestamps and may land after it (a measured
MPEG-TS clip landed on the keyframe half a second after the target). A caller checks what it
reads first and seeks again further back, from the times :func:`seek_targets` gives.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from videolens.video.decode import stream_origin

SEEK_MARGINS_S = (0.0, 1.0, 4.0, 16.0, 64.0, math.inf)


def seek_targets(at_s: float) -> Iterator[float]:
    """Where to seek for a read that must begin at or before ``at_s``: the time itself, then
    further and further back, ending at the start of the video."""
    for margin in SEEK_MARGINS_S:
        target = max(0.0, at_s - margin)
        yield target
        if target == 0.0:
            return


def seek(container: Any, stream: Any, at_s: float) -> None:
    """Seek ``container`` to the keyframe of ``stream`` at or before ``at_s`` (seconds from the
    stream's first frame), as far as the format allows; ``at_s <= 0`` is the start of the file."""
    if at_s <= 0:
        # A seek to the stream's first timestamp lands just after it in MPEG-TS; a seek to 0 on
        # the container's clock is at or before every stream's start, in every format tried.
        container.seek(0, backward=True)
        return
    origin = stream_origin(stream)
    container.seek(origin + int(at_s / stream.time_base), stream=stream, backward=True)
