"""Multi-object tracking with Roboflow's ByteTrack (the ``trackers`` package, Apache-2.0; the
successor of ``supervision``'s ``ByteTrack``), one tracker per group of classes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from videolens.timeline.model import Detection
from videolens.tracking.chunk import TrackedFrame
from videolens.tracking.detect import SCORE_THRESHOLD, class_group

if TYPE_CHECKING:
    from trackers import ByteTrackTracker

TRACKER_NAME = "ByteTrack (trackers 2.x)"
LOST_S = 3.0
"""A track missed for this long ends: a walker hidden behind another or missed by the detector
for a few frames keeps its id; one who left and came back later is counted again. On vtest.avi
at 2 fps (detections cached, only the tracker varied): 1.5 s and a 0.5 buffer gave 55 person
tracks, 3 s and a 1.0 buffer 33 (median track 6.5 s -> 9 s); 5 s changed nothing more."""
MIN_IOU = 0.1
"""Boxes of the same thing in consecutive detection frames must overlap this much..."""
BUFFER = 1.0
"""...after each box is widened by this share of its size on every side (buffered IoU, made for
fast or irregular motion and low frame rates). At 2 fps a walker crossing a frame in 8 s moves
more than its own width between frames, and plain boxes never overlap: on such a clip plain IoU
confirmed 1 of 5 walkers, buffered boxes (2x as wide) all of them; 3x as wide halves the
breaks in a walker's track on vtest.avi (see ``LOST_S``)."""


class MultiTracker:
    """Feeds each frame's detections to ByteTrack; ids are unique across classes."""

    def __init__(self, fps: float) -> None:
        self._fps = fps
        self._trackers: dict[str, ByteTrackTracker] = {}
        self._ids: dict[tuple[str, int], int] = {}

    def update(self, t: float, detections: list[Detection]) -> TrackedFrame:
        """The frame at ``t`` with its detections given track ids (None: not associated)."""
        tracked: list[Detection] = []
        for group in sorted({class_group(d.label) for d in detections} | set(self._trackers)):
            members = [d for d in detections if class_group(d.label) == group]
            tracked.extend(self._update_group(group, t, members))
        tracked.sort(key=lambda d: (-d.score, d.box))
        return TrackedFrame(t=t, detections=tracked)

    def _update_group(self, group: str, t: float, members: list[Detection]) -> list[Detection]:
        # Imported when a pass runs: supervision pulls scipy and its annotators (2.7 s of import
        # measured here), which every process that merely imports the pipeline would pay.
        import supervision as sv
        from trackers import ByteTrackTracker
        from trackers.utils.iou import BIoU

        tracker = self._trackers.get(group)
        if tracker is None:
            tracker = self._trackers[group] = ByteTrackTracker(
                lost_track_buffer=round(LOST_S * 30),  # counted in 30 fps frames
                frame_rate=self._fps,
                track_activation_threshold=SCORE_THRESHOLD,
                minimum_consecutive_frames=1,  # noise is dropped afterwards, by track length
                minimum_iou_threshold=MIN_IOU,
                high_conf_det_threshold=SCORE_THRESHOLD,
                iou=BIoU(buffer_ratio=BUFFER),
            )
        boxes = np.array([d.box for d in members], dtype=np.float32).reshape(-1, 4)
        found = sv.Detections(
            xyxy=boxes,
            confidence=np.array([d.score for d in members], dtype=np.float32),
            class_id=np.arange(len(members), dtype=int),  # carries each box's index through
        )
        result = tracker.update(found, timestamp=t)
        out = []
        indexes = result.class_id if result.class_id is not None else np.zeros(0, dtype=int)
        ids = result.tracker_id if result.tracker_id is not None else np.zeros(0, dtype=int)
        for index, local_id in zip(indexes.tolist(), ids.tolist(), strict=True):
            track_id = None if local_id < 0 else self._global_id(group, int(local_id))
            out.append(members[int(index)].model_copy(update={"track_id": track_id}))
        return out

    def _global_id(self, group: str, local_id: int) -> int:
        key = (group, local_id)
        if key not in self._ids:
            self._ids[key] = len(self._ids) + 1
        return self._ids[key]
