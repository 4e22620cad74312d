"""``VideoAnalysisWorkflow``: probe → (sample and describe, overlapped) ∥ speech → summarize
→ finalize.

Each segment is sampled on the CPU queue; as soon as a segment's frames are on disk its batches
go to the vision queue, while other segments are still decoding. Speech recognition runs beside
sampling from the start, range by range on the CPU queue; its failure never fails the analysis.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Coroutine
from dataclasses import replace
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from videolens.pipeline.retries import RETRY_POLICY, failure_reason
    from videolens.pipeline.shared import (
        WORKFLOW_NAME,
        AnalysisProgress,
        AnalysisSummary,
        AnalyzeVideoInput,
        AudioCheck,
        DescribeBatchInput,
        DescribeResult,
        FinalizeInput,
        FinalizeResult,
        ProbeInput,
        SampleSegmentInput,
        SessionSummary,
        SpeechOutcome,
        StitchTracksInput,
        StitchTracksResult,
        SummarizeInput,
        TrackSegmentInput,
        TrackSegmentResult,
        TranscribeRangeInput,
        TranscribeRangeResult,
    )
    from videolens.speech.ranges import plan_speech_ranges
    from videolens.tracking import pass_rate
    from videolens.video.segments import (
        estimate_frames,
        floor_for_budget,
        plan_segments,
        promised_floor,
    )
    from videolens.video.types import FrameRef, Segment, SegmentSample, VideoInfo

BATCH_SCHEDULE_TO_CLOSE = timedelta(minutes=30)
FLOOR_SHARE_OF_BUDGET = 0.8
FINALIZE_TIMEOUT = timedelta(minutes=5)
TRACK_OVERLAP_S = 2.0
"""The detection pass of a segment reads this much before it, to stitch its tracks on."""
# Caps on the activities one run schedules, whatever the video's length or header (segments are
# capped in ``plan_segments``): batches grow and speech ranges lengthen instead, so a run's
# history stays a few thousand events, far below Temporal's limit of 51,200.
MAX_BATCHES = 500
MAX_SPEECH_RANGES = 200


@workflow.defn(name=WORKFLOW_NAME)
class VideoAnalysisWorkflow:
    def __init__(self) -> None:
        self._progress = AnalysisProgress(stage="starting")
        self._started = workflow.now()
        self._shot_starts: list[float] = []
        # Every sampled frame (index → time): finalize checks that each one was stored.
        self._planned: dict[int, float] = {}
        self._timings: dict[str, float] = {}
        self._local_in_flight = 0
        self._speech: SpeechOutcome | None = None
        self._track_chunks: dict[int, str] = {}  # segment index → its detection pass chunk
        # The floor the plan promises (``promised_floor``); 0.0 (unknown) until planned.
        self._floor_s = 0.0
        self._batch_size = 1

    @workflow.run
    async def run(self, request: AnalyzeVideoInput) -> AnalysisSummary:
        self._started = workflow.now()
        self._request = request
        info: VideoInfo | None = None
        try:
            info = await self._probe()
            await _all_or_none([self._sample_and_describe(info), self._transcribe(info)])
            await self._stitch_tracks()
        except ActivityError as err:
            reason = failure_reason(err)
            self._progress.stage, self._progress.error = "failed", reason
            await self._finalize("failed", info, error=reason)
            raise ApplicationError(reason, type="AnalysisFailed", non_retryable=True) from err
        except asyncio.CancelledError:
            self._progress.stage = "cancelled"
            await self._finalize("cancelled", info, error="cancelled by the user")
            raise
        summary = await self._summarize(info)
        self._progress.stage = "finalizing"
        result = await self._finalize("completed", info, summary=summary)
        if result.status != "completed":
            # Finalize found planned frames missing from the store: never a silent loss.
            self._progress.stage, self._progress.error = "failed", result.error
            raise ApplicationError(result.error, type="AnalysisIncomplete", non_retryable=True)
        self._progress.stage = "completed"
        return AnalysisSummary(
            session_id=request.session_id,
            status="completed",
            frames=result.frames,
            max_gap_s=result.max_gap_s,
        )

    @workflow.query
    def progress(self) -> AnalysisProgress:
        # A copy: queries must not change workflow state.
        progress = replace(self._progress, elapsed_s=round(self._elapsed(), 2))
        progress.eta_s = self._eta(progress)
        return progress

    async def _probe(self) -> VideoInfo:
        self._progress.stage = "probing"
        info: VideoInfo = await workflow.execute_activity(
            "probe_video",
            ProbeInput(self._request.session_id, self._request.video_path),
            result_type=VideoInfo,
            task_queue=self._request.cpu_task_queue,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY_POLICY,
        )
        self._timings["probe_s"] = round(self._elapsed(), 3)
        self._progress.video_duration_s = info.duration_s
        return info

    async def _sample_and_describe(self, info: VideoInfo) -> None:
        request = self._request
        # A long video's frame budget widens the floor (or the interval) evenly; a fifth of the
        # budget stays for shots, fades and changes, and for segments whose quota rounds down.
        budget = max(1, int(request.options.max_frames * FLOOR_SHARE_OF_BUDGET))
        if request.options.strategy == "adaptive":
            floor = floor_for_budget(info.duration_s, budget, request.options.floor_interval_s)
            request.options = replace(request.options, floor_interval_s=floor)
        else:
            interval = floor_for_budget(info.duration_s, budget, request.options.interval_s)
            request.options = replace(request.options, interval_s=interval)
        segments = plan_segments(info, request.options, request.segment_s)
        self._floor_s = promised_floor(segments, request.options, info.fps)
        # Batches: at most MAX_BATCHES beyond one per segment, however large max_frames is.
        most_batches = math.ceil(request.options.max_frames / MAX_BATCHES)
        self._batch_size = max(request.batch_size, most_batches)
        self._progress.stage = "analysing"
        self._progress.segments_total = len(segments)
        self._progress.frames_planned = estimate_frames(info, request.options)
        segment_slots = asyncio.Semaphore(request.max_parallel_segments)
        batch_slots = asyncio.Semaphore(request.max_parallel_batches)
        await _all_or_none(
            [self._segment(segment, segment_slots, batch_slots) for segment in segments]
        )
        self._timings["analysis_s"] = round(self._elapsed() - self._timings["probe_s"], 3)

    async def _transcribe(self, info: VideoInfo) -> None:
        """Speech beside sampling; any failure is recorded as "unavailable", never raised."""
        request = self._request
        if not request.speech:
            self._set_speech(SpeechOutcome(status="off"))
            return
        self._progress.speech_status = "transcribing"
        try:
            audio: AudioCheck = await workflow.execute_activity(
                "check_audio",
                ProbeInput(request.session_id, request.video_path),
                result_type=AudioCheck,
                task_queue=request.cpu_task_queue,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RETRY_POLICY,
            )
            if audio.status != "ok":
                self._set_speech(SpeechOutcome(status=audio.status, reason=audio.reason))
                return
            range_s = max(request.speech_range_s, audio.duration_s / MAX_SPEECH_RANGES)
            ranges = plan_speech_ranges(audio.duration_s, range_s)
            self._progress.speech_ranges_total = len(ranges)
            results: list[TranscribeRangeResult] = []
            await _all_or_none(
                [
                    self._transcribe_range(f"r{number:04d}", r.start_s, r.end_s, audio, results)
                    for number, r in enumerate(ranges)
                ]
            )
        except ActivityError as err:
            self._set_speech(SpeechOutcome(status="unavailable", reason=failure_reason(err)))
            return
        languages = [r.language for r in results if r.language]
        self._set_speech(
            SpeechOutcome(
                status="ok",
                model=next((r.model for r in results if r.model), ""),
                language=max(set(languages), key=languages.count) if languages else "",
            )
        )

    async def _transcribe_range(
        self,
        range_id: str,
        start_s: float,
        end_s: float,
        audio: AudioCheck,
        results: list[TranscribeRangeResult],
    ) -> None:
        request = self._request
        result: TranscribeRangeResult = await workflow.execute_activity(
            "transcribe_range",
            TranscribeRangeInput(
                request.session_id, request.video_path, range_id, start_s, end_s, audio.duration_s
            ),
            result_type=TranscribeRangeResult,
            task_queue=request.cpu_task_queue,
            schedule_to_close_timeout=BATCH_SCHEDULE_TO_CLOSE,
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY_POLICY,
        )
        results.append(result)
        self._progress.speech_ranges_done += 1

    def _set_speech(self, outcome: SpeechOutcome) -> None:
        self._speech = outcome
        self._progress.speech_status = outcome.status

    async def _segment(
        self, segment: Segment, segment_slots: asyncio.Semaphore, batch_slots: asyncio.Semaphore
    ) -> None:
        async with segment_slots:
            # The detection pass runs beside sampling: the segment's batches are described
            # with its detections (the basic backend then detects nothing again).
            sample, chunk = await _sampled_and_tracked(self._sample(segment), self._track(segment))
        self._shot_starts.extend(sample.shot_starts_s)
        self._planned.update((frame.index, frame.timestamp_s) for frame in sample.frames)
        self._progress.segments_done += 1
        self._progress.frames_sampled += len(sample.frames)
        if self._progress.segments_done == self._progress.segments_total:
            self._progress.frames_planned = self._progress.frames_sampled
        batches = _batches(sample.frames, self._batch_size)
        self._progress.batches_total += len(batches)
        await _all_or_none(
            [
                self._describe(f"s{segment.index:04d}b{number:04d}", frames, batch_slots, chunk)
                for number, frames in enumerate(batches)
            ]
        )

    async def _sample(self, segment: Segment) -> SegmentSample:
        request = self._request
        sample: SegmentSample = await workflow.execute_activity(
            "sample_segment",
            SampleSegmentInput(
                request.session_id,
                request.video_path,
                request.frames_dir,
                segment,
                request.options,
            ),
            result_type=SegmentSample,
            task_queue=request.cpu_task_queue,
            schedule_to_close_timeout=BATCH_SCHEDULE_TO_CLOSE,
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY_POLICY,
        )
        return sample

    async def _track(self, segment: Segment) -> str:
        """The detection pass over the segment (beside its sampling); the chunk's path, or ""
        when tracking is off or no detector could run."""
        request = self._request
        fps = pass_rate(self._progress.video_duration_s, request.tracking_fps)
        if not request.tracking or not fps:
            return ""
        result: TrackSegmentResult = await workflow.execute_activity(
            "track_segment",
            TrackSegmentInput(
                request.session_id,
                request.video_path,
                segment,
                fps,
                TRACK_OVERLAP_S,
            ),
            result_type=TrackSegmentResult,
            task_queue=request.cpu_task_queue,
            schedule_to_close_timeout=BATCH_SCHEDULE_TO_CLOSE,
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY_POLICY,
            # Cancelled when its segment's sampling fails (a full disk): the run waits for the
            # pass to stop, so it ends as cancelled on request instead of finding its run gone
            # and logging a traceback, and writes nothing into a session being marked failed.
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        if result.chunk:
            self._track_chunks[segment.index] = result.chunk
        return result.chunk

    async def _stitch_tracks(self) -> None:
        """Whole tracks from the segments' chunks, stored beside the session."""
        if not self._track_chunks:
            return
        started = self._elapsed()
        await workflow.execute_activity(
            "stitch_tracks",
            StitchTracksInput(
                self._request.session_id,
                [self._track_chunks[index] for index in sorted(self._track_chunks)],
            ),
            result_type=StitchTracksResult,
            task_queue=self._request.cpu_task_queue,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY_POLICY,
        )
        self._timings["stitch_tracks_s"] = round(self._elapsed() - started, 3)

    async def _describe(
        self,
        batch_id: str,
        frames: list[FrameRef],
        batch_slots: asyncio.Semaphore,
        tracks_chunk: str = "",
    ) -> None:
        request = self._request
        async with batch_slots:
            to_cloud = self._should_burst()
            queue = request.cloud_task_queue if to_cloud else request.vision_task_queue
            backend = request.cloud_backend if to_cloud else request.backend
            self._local_in_flight += 0 if to_cloud else 1
            try:
                result = await workflow.execute_activity(
                    "describe_batch",
                    DescribeBatchInput(
                        request.session_id, batch_id, backend, frames, request.prompt, tracks_chunk
                    ),
                    result_type=DescribeResult,
                    task_queue=queue,
                    schedule_to_close_timeout=BATCH_SCHEDULE_TO_CLOSE,
                    heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
                    retry_policy=RETRY_POLICY,
                )
            finally:
                self._local_in_flight -= 0 if to_cloud else 1
        if to_cloud:
            self._progress.batches_cloud += 1
        if result.worker_stats:
            self._progress.worker_stats = result.worker_stats
        self._progress.batches_done += 1
        self._progress.frames_described += result.described

    def _should_burst(self) -> bool:
        """The seed's HybridScaler: past twice the local capacity in flight, use the cloud."""
        request = self._request
        burst = bool(request.cloud_task_queue) and (
            self._local_in_flight >= 2 * request.local_vision_capacity
        )
        self._progress.bursting = burst
        return burst

    async def _summarize(self, info: VideoInfo) -> SessionSummary:
        """Summary and chapters; if the chat model keeps failing, fall back to the shots."""
        self._progress.stage = "summarizing"
        request = SummarizeInput(
            self._request.session_id, info, sorted(self._shot_starts), speech=self._speech
        )
        try:
            return await self._run_summarize(request)
        except ActivityError:
            workflow.logger.warning("the chat model failed; chapters come from the shots")
            request.use_llm = False
            return await self._run_summarize(request)

    async def _run_summarize(self, request: SummarizeInput) -> SessionSummary:
        summary: SessionSummary = await workflow.execute_activity(
            "summarize_session",
            request,
            result_type=SessionSummary,
            task_queue=self._request.cpu_task_queue,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=self._request.heartbeat_timeout_s),
            retry_policy=RETRY_POLICY,
        )
        return summary

    async def _finalize(
        self,
        status: str,
        info: VideoInfo | None,
        error: str = "",
        summary: SessionSummary | None = None,
    ) -> FinalizeResult:
        self._timings["total_s"] = round(self._elapsed(), 3)
        result: FinalizeResult = await workflow.execute_activity(
            "finalize_session",
            FinalizeInput(
                session_id=self._request.session_id,
                status=status,
                error=error,
                video=info,
                timings=dict(self._timings),
                shot_starts_s=sorted(self._shot_starts),
                summary=summary,
                speech=self._speech,
                floor_s=self._floor_s,
                expected_indexes=list(self._planned),
                expected_timestamps_s=list(self._planned.values()),
                routing={
                    "vision_queue": self._request.vision_task_queue,
                    "cloud_queue": self._request.cloud_task_queue or None,
                    "batches_local": self._progress.batches_done - self._progress.batches_cloud,
                    "batches_cloud": self._progress.batches_cloud,
                },
            ),
            result_type=FinalizeResult,
            task_queue=self._request.cpu_task_queue,
            start_to_close_timeout=FINALIZE_TIMEOUT,
            retry_policy=RETRY_POLICY,
        )
        return result

    def _elapsed(self) -> float:
        return (workflow.now() - self._started).total_seconds()

    def _eta(self, progress: AnalysisProgress) -> float | None:
        if progress.stage != "analysing" or progress.frames_described == 0:
            return None
        remaining = max(0, progress.frames_planned - progress.frames_described)
        rate = progress.frames_described / max(progress.elapsed_s, 1e-3)
        return round(remaining / rate, 1)


async def _sampled_and_tracked(
    sampling: Coroutine[Any, Any, SegmentSample], tracking: Coroutine[Any, Any, str]
) -> tuple[SegmentSample, str]:
    """A segment's sample and its detection pass's chunk, run side by side (both CPU)."""
    sampled: list[SegmentSample] = []
    tracked: list[str] = []

    async def sample() -> None:
        sampled.append(await sampling)

    async def track() -> None:
        tracked.append(await tracking)

    await _all_or_none([sample(), track()])
    return sampled[0], tracked[0]


async def _all_or_none(jobs: list[Coroutine[Any, Any, None]]) -> None:
    """Run ``jobs`` concurrently; when one fails, cancel the rest before re-raising.

    Plain ``gather`` leaves the others running, and they would keep writing results into a
    session that is being marked failed.
    """
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except (Exception, asyncio.CancelledError):  # not GeneratorExit: an evicted run just ends
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _batches(frames: list[FrameRef], size: int) -> list[list[FrameRef]]:
    return [frames[start : start + size] for start in range(0, len(frames), size)]
