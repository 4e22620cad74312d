"""Activities: CPU work (probe, sample, finalize) and vision work (describe batches).

They are methods of classes the worker builds once, so the store and the vision backends live on
instances, never in module globals. Bad input becomes a non-retryable ``ApplicationError``;
so does a full disk, after the session's partial files are removed; everything else is left for
Temporal to retry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from videolens import backends
from videolens.chat.answer import chat_client, chat_model_configured
from videolens.chat.summary import summarize_session
from videolens.config import Settings
from videolens.errors import ConfigurationError, InvalidVideoError, OutOfSpaceError
from videolens.metrics.worker_metrics import WorkerMetrics
from videolens.openai_compat import EndpointAuthError
from videolens.pipeline.heartbeat import heartbeating, previous_detail
from videolens.pipeline.session_tracks import (
    confirmed_detections,
    stored_chunk,
    stored_tracking,
    with_tracks,
)
from videolens.pipeline.shared import (
    BACKEND_UNAVAILABLE,
    BAD_CONFIGURATION,
    FOREIGN_SESSION,
    INVALID_VIDEO,
    OUT_OF_SPACE,
    DescribeBatchInput,
    DescribeResult,
    FinalizeInput,
    FinalizeResult,
    ProbeInput,
    SampleSegmentInput,
    SessionSummary,
    SpeechOutcome,
    SummarizeInput,
)
from videolens.store import SessionStatus, SessionStore
from videolens.store.space import is_out_of_space, out_of_space
from videolens.timeline.model import (
    Chapter,
    Coverage,
    Detection,
    Moment,
    Shots,
    Speech,
    SpeechSegment,
)
from videolens.timeline.model import VideoInfo as StoredVideo
from videolens.video.probe import probe_video
from videolens.video.sampling import sample_segment
from videolens.video.types import (
    FrameRef,
    SegmentCheckpoint,
    SegmentSample,
    VideoInfo,
    compute_coverage,
)

MISSING_NAMED = 5
"""Missing moments named in the error; the rest are counted."""


class CpuActivities:
    """Probe, sample, summarize and finalize: CPU-side work on the CPU task queue."""

    def __init__(self, store: SessionStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    @activity.defn(name="probe_video")
    def probe(self, request: ProbeInput) -> VideoInfo:
        require_own_session(self._store, request.session_id)
        try:
            info = probe_video(request.video_path)
        except InvalidVideoError as err:
            raise ApplicationError(str(err), type=INVALID_VIDEO, non_retryable=True) from err
        with out_of_space_fails_for_good(self._store, request.session_id):
            self._store.update(request.session_id, video=asdict(info))
        return info

    @activity.defn(name="sample_segment")
    def sample(self, request: SampleSegmentInput) -> SegmentSample:
        require_own_session(self._store, request.session_id)
        checkpoint = previous_detail(SegmentCheckpoint)
        with out_of_space_fails_for_good(self._store, request.session_id), heartbeating() as beater:
            try:
                return sample_segment(
                    request.video_path,
                    request.segment,
                    request.options,
                    Path(request.frames_dir),
                    checkpoint=checkpoint,
                    on_checkpoint=beater.update,
                    checkpoint_every_s=beater.interval_s,
                )
            except InvalidVideoError as err:
                raise ApplicationError(str(err), type=INVALID_VIDEO, non_retryable=True) from err

    @activity.defn(name="summarize_session")
    def summarize(self, request: SummarizeInput) -> SessionSummary:
        """Summary and chapters of the described frames, with the chat model when configured."""
        require_own_session(self._store, request.session_id)
        starts = [0.0, *request.shot_starts_s]
        known: dict[str, object] = {
            "video": StoredVideo.model_validate(asdict(request.video)),
            "frames": self._store.moments(request.session_id),
            "shots": Shots(count=len(starts), starts_s=starts),
        }
        if request.speech is not None:
            segments = self._store.speech_segments(request.session_id)
            known["speech"] = speech_document(request.speech, segments)
        known.update(_tracking_fields(self._store, request.session_id, known["frames"]))
        document = self._store.document(request.session_id).model_copy(update=known)
        use_llm = request.use_llm and chat_model_configured(self._settings)
        client = chat_client(self._settings) if use_llm else None
        try:
            with heartbeating():
                result = summarize_session(
                    document, client, budget_tokens=self._settings.chat_context_tokens
                )
        except EndpointAuthError as err:
            raise ApplicationError(str(err), type=BAD_CONFIGURATION, non_retryable=True) from err
        finally:
            if client is not None:
                client.close()
        return SessionSummary(
            summary=result["summary"], chapters=result["chapters"], mode=result["mode"]
        )

    @activity.defn(name="finalize_session")
    def finalize(self, request: FinalizeInput) -> FinalizeResult:
        """Assemble the result document from the stored batches and set the final status.

        A run is ``completed`` only when every frame the sampler planned is in the store; any
        missing frame fails it, naming the missing moments, instead of a silent loss.
        """
        session_id = request.session_id
        require_own_session(self._store, session_id)
        status, error = SessionStatus(request.status), request.error
        if status is SessionStatus.COMPLETED:
            missing = _missing_frames(self._store.moments(session_id), request)
            if missing:
                status, error = SessionStatus.FAILED, missing
        if status is SessionStatus.FAILED:
            # A failed run keeps its document and reason, not half of its frames.
            self._store.remove_partial_files(session_id)
        frames = self._store.moments(session_id)
        duration = request.video.duration_s if request.video else 0.0
        times = [moment.timestamp_s or 0.0 for moment in frames]
        coverage = asdict(compute_coverage(times, duration, floor_s=request.floor_s))
        shot_starts = [0.0, *request.shot_starts_s] if frames else []
        # Only what this run knows is set: an absent field stays absent in the stored JSON.
        fields: dict[str, object] = {
            "frames": frames,
            "coverage": Coverage.model_validate(coverage),
            "timings": request.timings,
            "routing": request.routing,
            "shots": Shots(count=len(shot_starts), starts_s=shot_starts),
        }
        if status is not SessionStatus.FAILED:
            fields.update(_tracking_fields(self._store, session_id, frames))
        if request.video is not None:
            fields["video"] = StoredVideo.model_validate(asdict(request.video))
        if error:
            fields["error"] = error
        if request.speech is not None and status is not SessionStatus.FAILED:
            fields["speech"] = speech_document(
                request.speech, self._store.speech_segments(session_id)
            )
        if request.summary is not None and status is SessionStatus.COMPLETED:
            fields.update(
                summary=request.summary.summary,
                chapters=[Chapter.model_validate(c) for c in request.summary.chapters],
                summary_mode=request.summary.mode,
            )
        with out_of_space_fails_for_good(self._store, session_id):
            self._store.finish(session_id, status, **fields)
        return FinalizeResult(
            frames=len(frames),
            max_gap_s=coverage["max_gap_s"],
            coverage=coverage,
            status=status.value,
            error=error,
        )


class VisionActivities:
    """Describes batches with vision backends built lazily, once per worker process.

    ``metrics`` counts batches, frames, errors and model load time (see ``WorkerMetrics``).
    """

    def __init__(
        self, store: SessionStore, settings: Settings, metrics: WorkerMetrics | None = None
    ) -> None:
        self._store = store
        self._settings = settings
        self._backends: dict[str, backends.VisionBackend] = {}
        self._lock = threading.Lock()
        self.metrics = metrics or WorkerMetrics()

    def backend(self, name: str) -> backends.VisionBackend:
        with self._lock:
            if name not in self._backends:
                started = time.perf_counter()
                try:
                    self._backends[name] = backends.backend_class(name).from_settings(
                        self._settings
                    )
                except ConfigurationError as err:
                    raise ApplicationError(
                        str(err), type=BAD_CONFIGURATION, non_retryable=True
                    ) from err
                self.metrics.model_loaded(name, time.perf_counter() - started)
            return self._backends[name]

    def close(self) -> None:
        with self._lock:
            for backend in self._backends.values():
                backend.close()
            self._backends.clear()

    @activity.defn(name="describe_batch")
    def describe(self, request: DescribeBatchInput) -> DescribeResult:
        """Describe a batch and store it; a retry resumes after the frames already described."""
        require_own_session(self._store, request.session_id)
        chunk = stored_chunk(request.tracks_chunk)
        with out_of_space_fails_for_good(self._store, request.session_id):
            return self.describe_frames(
                request.backend,
                request.prompt,
                request.frames,
                key="index",
                record=_frame_record,
                found=(lambda t: confirmed_detections(chunk, t)) if chunk is not None else None,
                write=lambda records: self._store.write_batch(
                    request.session_id,
                    request.batch_id,
                    [Moment.model_validate(record) for record in records],
                ),
            )

    def describe_frames(
        self,
        backend_name: str,
        prompt: str,
        frames: Sequence[FrameRef],
        *,
        key: str,
        record: Callable[[FrameRef, backends.FrameDescription], dict[str, Any]],
        write: Callable[[list[dict[str, Any]]], None],
        found: Callable[[float], list[Detection] | None] | None = None,
    ) -> DescribeResult:
        """Describe ``frames`` in the backend's chunks, then ``write`` one record per frame.

        The body of a describe activity, for a file's batch and a stream's window alike: the
        records so far are heartbeated after each chunk, and a retry skips the frames whose
        ``index`` is a heartbeated record's ``key``. ``found`` gives the detection pass's
        findings at a frame's time, if a pass ran. Returns how many were described, by which
        models, and the backend's figures after them.
        """
        done: list[dict[str, Any]] = list(previous_detail(list[dict[str, Any]]) or [])
        done_indexes = {int(item[key]) for item in done}
        todo = [ref for ref in frames if ref.index not in done_indexes]
        with (
            heartbeating() as beater,
            _backend_errors_as_application_errors(),
            self.metrics.batch(activity.info().task_queue, backend_name) as observed,
        ):
            backend = self.backend(backend_name)
            chunk = backend.preferred_batch_size or len(todo) or 1
            for start in range(0, len(todo), chunk):
                refs = todo[start : start + chunk]
                with observed.backend_call(len(refs)):
                    descriptions = backend.describe(
                        [frame_input(ref, found) for ref in refs], prompt or None
                    )
                # A model backend loads on its first describe, which may be a stream's.
                self._record_model_load(backend_name, backend)
                if len(descriptions) != len(refs):
                    raise backends.BackendError(
                        f"backend {backend_name!r} returned {len(descriptions)} descriptions "
                        f"for {len(refs)} frames"
                    )
                done.extend(record(ref, d) for ref, d in zip(refs, descriptions, strict=True))
                beater.update(done)
            write(done)
        return DescribeResult(
            described=len(done),
            models=sorted({str(record["model"]) for record in done}),
            worker_stats=backend.runtime_stats(),
        )

    def _record_model_load(self, name: str, backend: backends.VisionBackend) -> None:
        # Model backends load lazily, on their first batch; those that time it say so.
        load_s = backend.runtime_stats().get("model_load_s")
        if load_s is not None:
            self.metrics.model_loaded(name, float(load_s))


@contextmanager
def _backend_errors_as_application_errors() -> Iterator[None]:
    """A backend that cannot run here fails the batch at once; a rate limit sets the delay."""
    try:
        yield
    except backends.BackendUnavailableError as err:
        raise ApplicationError(str(err), type=BACKEND_UNAVAILABLE, non_retryable=True) from err
    except backends.BackendRateLimitedError as err:
        delay = timedelta(seconds=err.retry_after_s) if err.retry_after_s else None
        raise ApplicationError(str(err), type="BackendRateLimited", next_retry_delay=delay) from err


@contextmanager
def out_of_space_fails_for_good(store: SessionStore, session_id: str) -> Iterator[None]:
    """A full disk fails the activity for good, after removing the session's partial files.

    They are removed here and not only by finalize: when Temporal's own database shares the
    disk, it needs that room to record the failure at all.
    """
    try:
        yield
    except Exception as err:
        if not is_out_of_space(err):
            raise
        full = (
            err if isinstance(err, OutOfSpaceError) else out_of_space(store.session_dir(session_id))
        )
        store.remove_partial_files(session_id)
        # One line for the operator; "benign" keeps the SDK from logging a traceback as well.
        activity.logger.warning("%s; the session's partial files were removed", full)
        raise ApplicationError(
            str(full),
            type=OUT_OF_SPACE,
            non_retryable=True,
            category=ApplicationErrorCategory.BENIGN,
        ) from err


def speech_document(outcome: SpeechOutcome, segments: list[SpeechSegment]) -> Speech:
    """The session's ``speech``: status, reason when not ok, language, model, segments."""
    speech = Speech(
        status=outcome.status,
        language=outcome.language or None,
        model=outcome.model or None,
        segments=segments if outcome.status == "ok" else [],
    )
    if outcome.reason:
        speech.reason = outcome.reason
    return speech


def require_own_session(store: SessionStore, session_id: str) -> None:
    """Fail for good when the session lives in another store than this worker's.

    Then the worker serves another deployment (data dir) on the same task queue; writing the
    work into its own store would lose it for the session's owner.
    """
    if not store.exists(session_id):
        raise ApplicationError(
            f"session {session_id} is not in this worker's store ({store.root}): the worker "
            "serves another data dir on the same task queue; give each deployment its own "
            "queues (VIDEOLENS_DEPLOYMENT or VIDEOLENS_*_TASK_QUEUE)",
            type=FOREIGN_SESSION,
            non_retryable=True,
        )


def _tracking_fields(store: SessionStore, session_id: str, frames: object) -> dict[str, object]:
    """``tracks``, ``tracking`` and the moments with the pass's detections, track ids and
    counts, when a detection pass ran; nothing otherwise."""
    result = stored_tracking(store, session_id)
    if result is None or not isinstance(frames, list):
        return {}
    step = 1.0 / result.tracking.fps if result.tracking.fps else 0.0
    return {
        "tracks": result.tracks,
        "tracking": result.tracking,
        "frames": [with_tracks(moment, result.frames, step) for moment in frames],
    }


def _missing_frames(stored: list[Moment], request: FinalizeInput) -> str:
    """Why the run is incomplete (the planned frames not in the store), or "" when none are."""
    have = {moment.index for moment in stored}
    missing = sorted(
        (time_s, index)
        for index, time_s in zip(
            request.expected_indexes, request.expected_timestamps_s, strict=True
        )
        if index not in have
    )
    if not missing:
        return ""
    moments = ", ".join(_clock(time_s) for time_s, _ in missing[:MISSING_NAMED])
    more = f" and {len(missing) - MISSING_NAMED} more" if len(missing) > MISSING_NAMED else ""
    return (
        f"{len(missing)} of {len(request.expected_indexes)} sampled frames were never stored "
        f"(at {moments}{more}); the analysis is incomplete"
    )


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:05.2f}"


def frame_input(
    ref: FrameRef, found: Callable[[float], list[Detection] | None] | None = None
) -> backends.FrameInput:
    """What a backend is given of a sampled frame: the fields of ``ref`` that it names, and
    what the detection pass found at its time (``found``), if a pass ran."""
    named = {
        f.name: getattr(ref, f.name) for f in fields(backends.FrameInput) if hasattr(ref, f.name)
    }
    detections = found(ref.timestamp_s) if found is not None else None
    return backends.FrameInput(**named, detections=detections)


def _frame_record(ref: FrameRef, description: backends.FrameDescription) -> dict[str, Any]:
    """One frame of the public result JSON: the sampler's fields, then the backend's."""
    record: dict[str, Any] = dict(description.extra)
    record.update(
        index=ref.index,
        timestamp_s=ref.timestamp_s,
        image=ref.path,
        width=ref.width,
        height=ref.height,
        reason=ref.reason,
        motion=ref.motion,
        shot_start=ref.shot_start,
        description=description.description,
        objects=description.objects,
        people=description.people,
        text=description.text,
        actions=description.actions,
        model=description.model,
    )
    return record
