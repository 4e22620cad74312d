"""Sample the frames that matter from a time range of a video, writing them as JPEGs.

One pass per segment: seek once to the keyframe before the segment (or the resume point), decode
sequentially, look at a tiny thumbnail of every decoded frame, and convert and write only the
frames kept. Memory stays flat for any video length: no decoded frame outlives its turn.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from videolens.errors import InvalidVideoError
from videolens.video.decode import (
    display_name,
    iter_frames,
    open_container,
    save_jpeg,
    stream_origin,
    thumbnail,
)
from videolens.video.probe import probe_video
from videolens.video.segments import plan_segments
from videolens.video.selection import EPS, FrameSelector
from videolens.video.types import (
    FrameRef,
    SamplingOptions,
    Segment,
    SegmentCheckpoint,
    SegmentSample,
)

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_S = 1.0
# Seek this far before a segment's start so that at least one frame before it decodes as the
# reference for differencing: a cut exactly on the boundary is then still seen as a cut. (x264
# puts a keyframe on most cuts, so seeking to the start itself would land on the cut frame.)
WARMUP_LEAD_S = 0.5

OnCheckpoint = Callable[[SegmentCheckpoint], None]


def sample_segment(
    video_path: str | os.PathLike[str],
    segment: Segment,
    options: SamplingOptions,
    out_dir: Path,
    *,
    checkpoint: SegmentCheckpoint | None = None,
    on_checkpoint: OnCheckpoint | None = None,
    checkpoint_every_s: float = CHECKPOINT_EVERY_S,
) -> SegmentSample:
    """Keep the frames of ``segment`` that ``options`` asks for, as JPEGs in ``out_dir``.

    ``on_checkpoint`` gets the progress about every ``checkpoint_every_s`` of wall time and at the
    end; pass the last one back as ``checkpoint`` to resume after a crash with the same result.
    Raises ``InvalidVideoError`` when nothing in the file decodes.
    """
    if options.strategy not in ("adaptive", "interval"):
        raise ValueError(f"unknown sampling strategy {options.strategy!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    container = open_container(video_path)
    try:
        if not container.streams.video:
            raise InvalidVideoError(f"{display_name(video_path)} has no video stream.")
        run = _SegmentRun(container, segment, options, out_dir.resolve(), checkpoint)
        run.name = display_name(video_path)
        return run.run(on_checkpoint, checkpoint_every_s)
    finally:
        container.close()


def sample_video(
    video_path: str | os.PathLike[str],
    options: SamplingOptions,
    out_dir: Path,
    segment_s: float = 60.0,
) -> list[SegmentSample]:
    """Probe, plan and sample a whole video, one segment after another (library convenience)."""
    info = probe_video(video_path)
    return [
        sample_segment(video_path, segment, options, out_dir)
        for segment in plan_segments(info, options, segment_s)
    ]


class _SegmentRun:
    """One pass over one segment: decoding, choosing, writing, checkpointing."""

    def __init__(
        self,
        container: Any,
        segment: Segment,
        options: SamplingOptions,
        out_dir: Path,
        checkpoint: SegmentCheckpoint | None,
    ) -> None:
        self.container, self.segment, self.options, self.out_dir = (
            container, segment, options, out_dir
        )
        self.stream = container.streams.video[0]
        self.selector = FrameSelector(segment, options, checkpoint)
        self.resume_s = checkpoint.position_s if checkpoint else None
        self.position_s = checkpoint.position_s if checkpoint else segment.start_s
        self.decoded = checkpoint.frames_decoded if checkpoint else 0
        self.any_decoded = checkpoint is not None and bool(checkpoint.frames)
        rate = self.stream.average_rate or self.stream.guessed_rate
        self.fps = float(rate) if rate else 25.0
        self.stale: list[FrameRef] = []  # evicted, deleted once no checkpoint lists them
        self.defer_deletes = False
        self.name = display_name(container.name)

    def run(self, on_checkpoint: OnCheckpoint | None, every_s: float) -> SegmentSample:
        self.defer_deletes = on_checkpoint is not None
        self.stream.thread_type = "AUTO"
        if self.selector.adaptive:
            # Skipping non-reference frames (B-frames) saves ~40% of decoding on real footage and
            # finds the same cuts, at most a couple of frames late; kept frames are still frames
            # the decoder produced.
            self.stream.codec_context.skip_frame = "NONREF"
        self._seek()
        next_checkpoint = time.monotonic() + every_s
        for t, frame in iter_frames(self.container, self.stream):
            self.any_decoded = True
            if t >= self.segment.end_s - EPS:
                break
            if self.resume_s is not None and t <= self.resume_s + EPS:
                self.selector.reference(thumbnail(frame), track_level=False)
                continue
            if t < self.segment.start_s - EPS:
                self.selector.reference(thumbnail(frame), track_level=True)
                continue
            self._process(t, frame)
            if on_checkpoint is not None and time.monotonic() >= next_checkpoint:
                self._emit(on_checkpoint)
                next_checkpoint = time.monotonic() + every_s
        if not self.any_decoded:
            raise InvalidVideoError(
                f"{self.name} has no decodable frames from {self.segment.start_s:.1f} s on; the file may be truncated or corrupt."
            )
        if on_checkpoint is not None:
            self._emit(on_checkpoint)
        self._delete_stale()
        return SegmentSample(
            segment=self.segment,
            frames=sorted(self.selector.frames, key=lambda f: f.timestamp_s),
            frames_decoded=self.decoded,
            shot_starts_s=list(self.selector.shot_starts_s),
        )

    def _seek(self) -> None:
        """Seek once, to the keyframe at/before the resume point or a little before the start."""
        target = self.resume_s if self.resume_s is not None else self.segment.start_s - WARMUP_LEAD_S
        if target <= 0:
            return
        time_base = self.stream.time_base
        offset = stream_origin(self.stream) + int(target * time_base.denominator / time_base.numerator)
        try:
            self.container.seek(offset, stream=self.stream, backward=True, any_frame=False)
        except Exception as exc:  # noqa: BLE001 - PyAV raises several types; decode from start
            log.warning("seek failed in %s (%s); decoding from the start", self.container.name, exc)
            self.container.seek(0)

    def _process(self, t: float, frame: Any) -> None:
        self.decoded += 1
        self.position_s = t
        thumb = thumbnail(frame)
        choice = self.selector.consider(t, thumb)
        if choice is None:
            return
        index = round(t * self.fps)
        if any(kept.index == index for kept in self.selector.frames[-2:]):
            return  # variable frame rate can round two frames to one number: keep the first
        path = self.out_dir / f"frame_{index:07d}.jpg"
        width, height = save_jpeg(
            frame,
            path,
            max_side=self.options.max_side,
            quality=self.options.jpeg_quality,
            rotation=int(getattr(frame, "rotation", 0) or 0),
        )
        ref = FrameRef(
            index=index,
            timestamp_s=round(t, 3),
            path=str(path),
            reason=choice.reason,
            motion=round(choice.motion, 2),
            shot_start=choice.shot_start,
            width=width,
            height=height,
        )
        self.stale.extend(self.selector.keep(ref, t, thumb))
        if not self.defer_deletes:
            self._delete_stale()

    def _emit(self, on_checkpoint: OnCheckpoint) -> None:
        on_checkpoint(
            SegmentCheckpoint(
                position_s=self.position_s,
                frames=list(self.selector.frames),
                frames_decoded=self.decoded,
                shot_starts_s=list(self.selector.shot_starts_s),
                state=self.selector.state(),
            )
        )
        # Only now does no checkpoint list the evicted frames, so their files can go.
        self._delete_stale()

    def _delete_stale(self) -> None:
        kept = {frame.path for frame in self.selector.frames}
        for frame in self.stale:
            if frame.path not in kept:
                Path(frame.path).unlink(missing_ok=True)
        self.stale.clear()
