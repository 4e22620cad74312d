"""The detection pass on the CPU queue: one chunk per segment, then the chunks stitched.

Why chunks per segment: a chunk is the unit a retry redoes (ByteTrack's state cannot be
checkpointed, so a chunk restarts from its beginning, at most a segment's worth of work), and
segments already spread the sampling over the CPU workers; each chunk reads ``OVERLAP_S`` before
its segment so that its tracks can be joined to the chunk before it (``tracking.stitch``).
A chunk already written is not run again. Both results live in the session folder
(``tracks/chunk-NNNN.json``, ``tracks/tracks.json``); only their paths cross Temporal.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from videolens.errors import InvalidVideoError
from videolens.pipeline.activities import out_of_space_fails_for_good, require_own_session
from videolens.pipeline.heartbeat import heartbeating
from videolens.pipeline.session_tracks import TRACKS_FILE, tracks_folder
from videolens.pipeline.shared import (
    INVALID_VIDEO,
    StitchTracksInput,
    StitchTracksResult,
    TrackSegmentInput,
    TrackSegmentResult,
)
from videolens.pipeline.stream_activities import require_stream
from videolens.pipeline.stream_shared import TrackStreamInput
from videolens.store import SessionStore
from videolens.store.atomic import read_json, write_json_atomic
from videolens.streams.pass_clip import clip_time
from videolens.streams.store import StreamStore, first_seq
from videolens.streams.tracks import pass_path, stitch_window, stored_pass, write_pass
from videolens.timeline.model import Tracking
from videolens.tracking import (
    MODEL_NAME,
    TRACKER_NAME,
    ChunkRequest,
    DetectorUnavailableError,
    FrameDetector,
    SsdNetwork,
    TrackedChunk,
    TrackingResult,
    run_chunk,
    stitch,
)

OVERLAP_S = 2.0
"""Each chunk reads this much of the segment before its own: enough shared frames (4 at 2 fps)
to tell which of its tracks continue the earlier chunk's."""


class TrackingActivities:
    """Runs the detection pass over a video's segments and a live stream's windows; the
    detector is built once per worker, on first use."""

    def __init__(self, store: SessionStore, streams: StreamStore | None = None) -> None:
        self._store, self._streams = store, streams
        self._detector: FrameDetector | None = None
        self._unavailable = ""
        self._lock = threading.Lock()

    def detector(self) -> FrameDetector | None:
        with self._lock:
            if self._detector is None and not self._unavailable:
                try:
                    self._detector = FrameDetector(SsdNetwork())
                except DetectorUnavailableError as err:
                    self._unavailable = str(err)
                    activity.logger.warning("no detection pass: %s", err)
            return self._detector

    @activity.defn(name="track_segment")
    def track_segment(self, request: TrackSegmentInput) -> TrackSegmentResult:
        """Detect and track over one segment; an empty ``chunk`` when no detector is here."""
        require_own_session(self._store, request.session_id)
        path = self._folder(request.session_id) / f"chunk-{request.segment.index:04d}.json"
        if path.is_file():  # written by an attempt whose result was lost
            return _result(path, TrackedChunk.model_validate(read_json(path)))
        detector = self.detector()
        if detector is None:
            return TrackSegmentResult(chunk="", frames=0, tiled_frames=0, seconds=0.0)
        chunk_request = ChunkRequest(
            video_path=request.video_path,
            index=request.segment.index,
            start_s=request.segment.start_s,
            end_s=request.segment.end_s,
            read_from_s=max(0.0, request.segment.start_s - request.overlap_s),
            fps=request.fps,
        )
        with out_of_space_fails_for_good(self._store, request.session_id), heartbeating():
            chunk = _passed(chunk_request, detector)
            write_json_atomic(path, chunk.model_dump(mode="json"))
        return _result(path, chunk)

    @activity.defn(name="stitch_tracks")
    def stitch_tracks(self, request: StitchTracksInput) -> StitchTracksResult:
        """Join the chunks into whole tracks and store them beside the session."""
        require_own_session(self._store, request.session_id)
        started = time.monotonic()
        chunks = [TrackedChunk.model_validate(read_json(Path(path))) for path in request.chunks]
        tracks, frames = stitch(chunks)
        tracking = Tracking(
            fps=chunks[0].fps if chunks else 0.0,
            frames=len(frames),
            detector=MODEL_NAME,
            tracker=TRACKER_NAME,
            tiled=any(chunk.tiled_frames for chunk in chunks),
            seconds=round(sum(chunk.seconds for chunk in chunks), 3),
        )
        result = TrackingResult(tracking=tracking, tracks=tracks, frames=frames)
        with out_of_space_fails_for_good(self._store, request.session_id):
            write_json_atomic(
                self._folder(request.session_id) / TRACKS_FILE, result.model_dump(mode="json")
            )
        return StitchTracksResult(
            tracks=len(tracks),
            people=sum(track.label == "person" for track in tracks),
            seconds=round(time.monotonic() - started, 3),
        )

    @activity.defn(name="track_stream_window")
    def track_stream_window(self, request: TrackStreamInput) -> TrackSegmentResult:
        """The pass over a stream window's clip, as over a video's segment, stitched onto the
        windows before it; the clip goes once the pass is stored (a retry reuses the pass)."""
        streams = self._streams
        assert streams is not None, "this worker keeps no streams"
        require_stream(streams, request.stream_id)
        path = pass_path(streams, request.stream_id, request.window)
        chunk = stored_pass(streams, request.stream_id, request.window)
        if chunk is None and not Path(request.clip.path).is_file():
            # The window stopped before its clip was written (the stream was stopped): the
            # window has no pass, and is counted from its moments.
            activity.logger.warning("no pass clip for window %s", request.window)
            return TrackSegmentResult(chunk="", frames=0, tiled_frames=0, seconds=0.0)
        if chunk is None:
            detector = self.detector()
            if detector is None:
                return TrackSegmentResult(chunk="", frames=0, tiled_frames=0, seconds=0.0)
            with heartbeating():
                chunk = _in_wall_clock(_passed(_chunk_request(request), detector), request)
            write_pass(streams, request.stream_id, request.window, chunk)
        stitch_window(streams, request.stream_id, request.window, chunk)
        Path(request.clip.path).unlink(missing_ok=True)
        return _result(path, chunk)

    def _folder(self, session_id: str) -> Path:
        folder = tracks_folder(self._store, session_id)
        folder.mkdir(exist_ok=True)
        return folder


def _passed(request: ChunkRequest, detector: FrameDetector) -> TrackedChunk:
    """``run_chunk``; a video it cannot read fails for good."""
    try:
        return run_chunk(request, detector)
    except InvalidVideoError as err:
        raise ApplicationError(str(err), type=INVALID_VIDEO, non_retryable=True) from err


def _result(path: Path, chunk: TrackedChunk) -> TrackSegmentResult:
    return TrackSegmentResult(
        chunk=str(path),
        frames=len(chunk.frames),
        tiled_frames=chunk.tiled_frames,
        seconds=chunk.seconds,
    )


def _chunk_request(request: TrackStreamInput) -> ChunkRequest:
    """The pass over a window's clip: its own frames from ``own_from_k``, the overlap before."""
    clip = request.clip
    last = clip_time(clip.end_k - 1, clip.first_k, clip.fps)
    return ChunkRequest(
        video_path=clip.path,
        index=first_seq(request.window),
        start_s=clip_time(clip.own_from_k, clip.first_k, clip.fps),
        end_s=last + 0.5 / clip.fps,
        read_from_s=0.0,
        fps=clip.fps,
    )


def _in_wall_clock(chunk: TrackedChunk, request: TrackStreamInput) -> TrackedChunk:
    """The pass with its clip's times as the grid instants they stand for (Unix seconds)."""
    clip = request.clip

    def wall(t: float) -> float:
        return (clip.first_k + round(t * clip.fps)) / clip.fps

    return chunk.model_copy(
        update={
            "start_s": clip.own_from_k / clip.fps,
            "end_s": clip.end_k / clip.fps,
            "read_from_s": clip.first_k / clip.fps,
            "frames": [f.model_copy(update={"t": wall(f.t)}) for f in chunk.frames],
        }
    )
