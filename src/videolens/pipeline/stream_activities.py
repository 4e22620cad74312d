"""Activities of live streams after ingest: describe a window (vision queue), commit it (rules,
events, the stream document), prune old data, deliver webhooks, finish.

Each is idempotent: a retried one rewrites the same files and sets the same counters, so a worker
killed at any point leaves nothing doubled. Describing uses the vision worker's own backend
objects (``VisionActivities.backend``), so GPU workers serve files and streams alike.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from videolens.backends import FrameDescription
from videolens.pipeline.activities import VisionActivities
from videolens.pipeline.session_tracks import with_tracks
from videolens.pipeline.shared import DescribeResult
from videolens.pipeline.stream_shared import (
    RUNNING_STATES,
    STREAM_GONE,
    WEBHOOK_REJECTED,
    CommitWindowInput,
    CommitWindowResult,
    DescribeStreamInput,
    FinishStreamInput,
    PruneInput,
    PruneResult,
    StreamSpeech,
    WebhookInput,
)
from videolens.store.folders import now_iso
from videolens.streams import rules as stream_rules
from videolens.streams.outbound import outbound_policy
from videolens.streams.retention import prune
from videolens.streams.speech import prune_speech
from videolens.streams.store import MAX_GAPS_KEPT, StreamStore, iso
from videolens.streams.tracks import window_tracks
from videolens.streams.types import StreamFrameRef
from videolens.streams.webhook import WebhookError, WebhookRejectedError, deliver
from videolens.timeline.model import (
    Moment,
    StreamDelivery,
    StreamDocument,
    StreamGap,
    StreamSpeechState,
)
from videolens.video.types import FrameRef

LATEST_FIELDS = ("seq", "at", "at_iso", "description", "objects", "people", "text", "reason")


def require_stream(store: StreamStore, stream_id: str) -> None:
    """Fail for good when the stream was deleted (or lives in another worker's store)."""
    if not store.exists(stream_id):
        raise ApplicationError(
            f"stream {stream_id} is not in this worker's store ({store.root}); it was deleted, "
            "or the worker serves another data dir",
            type=STREAM_GONE,
            non_retryable=True,
        )


class StreamVisionActivities:
    """Describe a stream's window with the vision worker's backends."""

    def __init__(self, vision: VisionActivities, store: StreamStore) -> None:
        self._vision, self._store = vision, store

    @activity.defn(name="describe_stream_window")
    def describe(self, request: DescribeStreamInput) -> DescribeResult:
        """Describe a window's frames and store them; a retry resumes after those done."""
        require_stream(self._store, request.stream_id)

        def write(records: list[dict[str, Any]]) -> None:
            # The vision worker's batch writer hands JSON records (a file's batch is written so).
            moments = sorted(map(Moment.model_validate, records), key=lambda m: m.seq or 0)
            self._store.write_moments(request.stream_id, request.window, moments)

        # Counted like a file's batch (same task queue label), so a worker's metrics show
        # the frames it describes for streams too.
        return self._vision.describe_frames(
            request.backend,
            request.prompt,
            [ref.as_frame_ref() for ref in request.frames],
            key="seq",
            record=lambda ref, description: _window_record(ref, description, request.window),
            write=write,
        )


class StreamCpuActivities:
    """Commit, prune, webhooks and finish: short CPU-side steps of a stream."""

    def __init__(self, store: StreamStore) -> None:
        self._store = store

    @activity.defn(name="commit_stream_window")
    def commit(self, request: CommitWindowInput) -> CommitWindowResult:
        """Raise the window's events and record the stream's status, counters and gaps."""
        stream_id = request.stream_id
        require_stream(self._store, stream_id)
        last_match = dict(request.rule_last_match)
        frames = self._store.window_moments(stream_id, request.window) if request.described else []
        if request.tracked and frames:
            frames = _counted_from_tracks(self._store, stream_id, request.window, frames)
        rules = stream_rules.parse_rules(request.rules)
        images = {f.seq: f.image for f in frames}
        events = [
            event.model_copy(
                update={
                    "stream_id": stream_id,
                    "window": request.window,
                    "image": images.get(event.seq),
                }
            )
            for event in stream_rules.evaluate(rules, frames, last_match, request.rearm_s)
        ]
        if events:
            self._store.write_stream_events(stream_id, request.window, events)
        document = self._store.document(stream_id)
        fields: dict[str, Any] = {
            "frames_total": request.frames_total,
            "events_total": request.events_before + len(events),
            "source_error": request.source_error,
            "gaps": _merged_gaps(document, request),
        }
        if document.status in RUNNING_STATES:
            down = "reconnecting" if request.frames_total else "connecting"
            fields["status"] = "live" if request.live else down
        if frames:
            fields["latest"] = Moment(**{key: getattr(frames[-1], key) for key in LATEST_FIELDS})
            fields["last_frame_at"] = frames[-1].at
        if request.speech is not None:
            fields.update(_speech_fields(self._store, stream_id, request.speech))
        self._store.update(stream_id, **fields)
        return CommitWindowResult(
            event_ids=[e.event_id for e in events], rule_last_match=last_match
        )

    @activity.defn(name="prune_stream")
    def prune(self, request: PruneInput) -> PruneResult:
        """Remove what is older than the retention window."""
        require_stream(self._store, request.stream_id)
        before_at = time.time() - request.retention_s
        pruned = prune(self._store, request.stream_id, before_at)
        speech = prune_speech(self._store, request.stream_id, before_at, request.audio_before_at)
        return PruneResult(**asdict(pruned), speech=speech)

    @activity.defn(name="deliver_stream_webhook")
    def deliver_webhook(self, request: WebhookInput) -> None:
        """POST one event to the stream's webhook; Temporal retries a failed delivery."""
        stream_id = request.stream_id
        require_stream(self._store, stream_id)
        private = self._store.private(stream_id)
        event = self._store.find_event(stream_id, request.window, request.event_id)
        if event is None or not private.get("webhook_url"):
            return  # pruned meanwhile, or no webhook: nothing to deliver
        body = event.as_json()  # what the receiver gets: JSON, with a link for the image
        body.pop("image", None)
        body.pop("webhook", None)
        # A speech event said before any frame was described has no image.
        body["image_url"] = (
            None if event.seq is None else f"/v1/streams/{stream_id}/frames/{event.seq}/image"
        )
        attempt = activity.info().attempt

        def state(status: str, **fields: Any) -> StreamDelivery:
            return StreamDelivery(attempts=attempt, updated_at=now_iso(), status=status, **fields)

        try:
            status = deliver(
                str(private["webhook_url"]),
                body,
                private.get("webhook_secret"),
                outbound=outbound_policy(private),
            )
        except WebhookRejectedError as err:
            self._store.write_delivery(stream_id, request.event_id, state("failed", error=str(err)))
            raise ApplicationError(str(err), type=WEBHOOK_REJECTED, non_retryable=True) from err
        except WebhookError as err:
            last = attempt >= request.attempts
            self._store.write_delivery(
                stream_id,
                request.event_id,
                state("failed" if last else "retrying", error=str(err)),
            )
            # Retried by Temporal; "benign" keeps an expected failure's traceback out of the log.
            raise ApplicationError(
                str(err), type="WebhookFailed", category=ApplicationErrorCategory.BENIGN
            ) from err
        self._store.write_delivery(
            stream_id, request.event_id, state("delivered", http_status=status)
        )

    @activity.defn(name="finish_stream")
    def finish(self, request: FinishStreamInput) -> None:
        """Mark the stream stopped (or failed, with the reason)."""
        if not self._store.exists(request.stream_id):
            return  # deleted: nothing to mark
        fields: dict[str, Any] = {"status": request.status, "stopped_at": now_iso()}
        if request.error:
            fields["error"] = request.error
        if request.speech is not None:
            fields.update(_speech_fields(self._store, request.stream_id, request.speech))
        if request.events_total is not None:
            fields["events_total"] = request.events_total
        self._store.update(request.stream_id, **fields)
        # Audio not transcribed by now never will be.
        shutil.rmtree(self._store.audio_dir(request.stream_id), ignore_errors=True)


def _counted_from_tracks(
    store: StreamStore, stream_id: str, window: str, frames: list[Moment]
) -> list[Moment]:
    """The window's frames with what the stream's tracks show at each (detections, people
    counted), as a video's moments take them from its tracks; stored so."""
    seen = window_tracks(store, stream_id, window)
    if seen is None or not seen.fps:
        return frames
    counted = [with_tracks(frame, seen.frames, 1 / seen.fps) for frame in frames]
    store.write_moments(stream_id, window, counted)
    return counted


def _speech_fields(store: StreamStore, stream_id: str, speech: StreamSpeech) -> dict[str, Any]:
    """The document's ``speech`` (status, model, counts) and ``latest_speech`` (a segment)."""
    recent = store.recent_speech(stream_id, 1)
    state = StreamSpeechState(**asdict(speech))
    return {"speech": state, "latest_speech": recent[0] if recent else None}


def _merged_gaps(document: StreamDocument, request: CommitWindowInput) -> list[StreamGap]:
    """The document's gaps plus the window's (a retry adds none twice), within retention."""
    gaps = list(document.gaps)
    known = {round(g.start_at, 3) for g in gaps}
    for gap in request.gaps:
        if round(gap.start_at, 3) not in known:
            gaps.append(
                StreamGap(
                    start_at=gap.start_at,
                    end_at=gap.end_at,
                    start_iso=iso(gap.start_at),
                    end_iso=iso(gap.end_at),
                    seconds=gap.seconds,
                    reason=gap.reason,
                )
            )
    oldest = time.time() - request.retention_s
    return [g for g in gaps if g.end_at >= oldest][-MAX_GAPS_KEPT:]


def _window_record(ref: FrameRef, description: FrameDescription, window: str) -> dict[str, Any]:
    """One described frame of a window file: the backend's fields, then the sampler's."""
    record: dict[str, Any] = dict(description.extra)
    record.update(asdict(description))
    record.pop("extra", None)
    record.pop("index", None)
    frame = asdict(StreamFrameRef.of(ref))
    frame["image"] = frame.pop("path")
    record.update(frame, at_iso=iso(ref.timestamp_s), window=window)
    return record
