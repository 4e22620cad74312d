"""``StreamWorkflow``: watch a live source window by window until asked to stop.

Each window: ingest (CPU side: read the source for ``window_s``, keep frames with the adaptive
sampler, write JPEGs; with tracking, a clip of the frames the detection pass reads) → describe
(vision queue, the same workers as files) beside the detection pass (CPU queue, stitched onto
the stream's tracks) → commit (rules raise events; the stream document gets its status,
counters and gaps; moments counted from the tracks) → prune (retention); webhooks are
delivered beside the loop. The next window is read while the previous one is described, so the
source is never left unread for long; at most ``MAX_BEHIND`` windows wait to be described.

The worker that read a window keeps the connection open, and the next window goes to that
worker's own task queue. When it is gone (killed: its heartbeats stop; or its queue has no
poller), the window goes back to the shared CPU queue with the dead attempt's last checkpoint, so
frames already on disk are neither lost nor repeated, and the time nobody watched is a gap.

Speech is transcribed beside the frames' chain, never in it (``SpeechQueue``), so it does not
delay frames being described; a failure of speech never fails the stream.

After ``windows_per_run`` windows the run continues as new with its state in one dataclass, so
the history stays bounded for days of watching. A ``stop`` signal ends it after the current
window (and the speech of all that was read); cancelling ends it at once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from videolens.pipeline.retries import (
        INGEST_RETRY,
        ONE_ATTEMPT,
        READER_SCHEDULE_TO_START,
        STREAM_NON_RETRYABLE_ERRORS,
        STREAM_RETRY_POLICY,
        failure_reason,
        last_checkpoint,
        non_retryable,
        retry_policy,
    )
    from videolens.pipeline.shared import DescribeResult, TrackSegmentResult
    from videolens.pipeline.stream_shared import (
        STREAM_WORKFLOW_NAME,
        CloseReaderInput,
        CommitWindowInput,
        CommitWindowResult,
        DescribeStreamInput,
        FinishStreamInput,
        IngestInput,
        IngestResult,
        PruneInput,
        PruneResult,
        StreamProgress,
        StreamState,
        StreamSummary,
        TrackStreamInput,
        WebhookInput,
    )
    from videolens.pipeline.stream_speech_queue import SpeechQueue
    from videolens.streams.types import window_name

MAX_BEHIND = 3
# Commit, prune and finish take milliseconds; a tight limit is how a worker killed during one is
# noticed (they send no heartbeats), and the window chain waits on them.
SHORT = timedelta(seconds=15)
DESCRIBE_TIMEOUT = timedelta(minutes=30)
TRACK_TIMEOUT = timedelta(minutes=10)


@workflow.defn(name=STREAM_WORKFLOW_NAME)
class StreamWorkflow:
    def __init__(self) -> None:
        self._stop = False
        self._live: bool | None = None
        self._source_error = ""
        self._behind = 0
        self._chain: asyncio.Future[None] | None = None
        self._deliveries: set[asyncio.Future[None]] = set()
        self._windows_this_run = 0

    @workflow.run
    async def run(self, state: StreamState) -> StreamSummary:
        self._state = state
        self._speech = SpeechQueue(state, self._schedule_delivery)
        state.runs += 1
        try:
            while not self._stop and not self._run_is_long():
                result = await self._ingest()
                self._raise_if_failed()
                await workflow.wait_condition(lambda: self._behind < MAX_BEHIND)
                self._behind += 1
                self._chain = asyncio.ensure_future(self._process(result, self._chain))
            await self._drain()
        except ActivityError as err:
            reason = failure_reason(err)
            await self._abandon()
            await self._finish("failed", reason)
            raise ApplicationError(reason, type="StreamFailed", non_retryable=True) from err
        except asyncio.CancelledError:
            await self._abandon()
            await self._finish("stopped")
            raise
        if not self._stop:
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(self._state)
        await self._close_reader()
        await self._finish("stopped")
        return StreamSummary(
            stream_id=state.config.stream_id,
            status="stopped",
            frames=state.frames_described,
            events=state.events,
            gaps=state.gaps,
        )

    @workflow.signal
    def stop(self) -> None:
        """End after the current window; what it read is still described and stored."""
        self._stop = True

    @workflow.query
    def progress(self) -> StreamProgress:
        state = self._state
        if self._stop:
            shown = "stopping"
        elif self._live is None:
            shown = "starting"
        else:
            shown = "live" if self._live else _down(state)
        return StreamProgress(
            state=shown,
            windows=state.windows,
            frames_ingested=state.next_seq,
            frames_described=state.frames_described,
            events=state.events,
            gaps=state.gaps,
            last_frame_at=state.last_at,
            source_error=self._source_error,
            stopping=self._stop,
            runs=state.runs,
            windows_behind=self._behind,
            speech=state.speech.status,
            speech_segments=state.speech.segments,
        )

    def _run_is_long(self) -> bool:
        return (
            self._windows_this_run >= self._state.config.windows_per_run
            or workflow.info().is_continue_as_new_suggested()
        )

    async def _ingest(self) -> IngestResult:
        config, state = self._state.config, self._state
        resume = None
        while True:
            on_reader = bool(state.reader_queue)
            request = IngestInput(
                stream_id=config.stream_id,
                options=config.options,
                window_s=config.window_s,
                next_seq=state.next_seq,
                last_at=state.last_at,
                record=config.record,
                record_segment_s=config.record_segment_s,
                connect_timeout_s=config.connect_timeout_s,
                read_timeout_s=config.read_timeout_s,
                reconnect_max_s=config.reconnect_max_s,
                resume=resume,
                speech=state.speech.status != "unavailable",
                tracking_fps=config.tracking_fps,
            )
            limit = config.window_s + config.connect_timeout_s + config.read_timeout_s + 60
            try:
                result: IngestResult = await workflow.execute_activity(
                    "ingest_stream_window",
                    request,
                    result_type=IngestResult,
                    task_queue=state.reader_queue or config.cpu_task_queue,
                    start_to_close_timeout=timedelta(seconds=limit),
                    schedule_to_start_timeout=READER_SCHEDULE_TO_START if on_reader else None,
                    heartbeat_timeout=timedelta(seconds=config.heartbeat_timeout_s),
                    retry_policy=ONE_ATTEMPT if on_reader else INGEST_RETRY,
                )
            except ActivityError as err:
                if not on_reader or non_retryable(err):
                    raise
                # The worker holding the connection is gone: any worker reads on from its last
                # checkpoint, and reports the time nobody watched as a gap.
                resume = last_checkpoint(err)
                state.reader_queue = ""
                continue
            break
        self._windows_this_run += 1
        self._live, self._source_error = result.live, result.source_error
        state.reader_queue = result.reader_queue
        if result.frames:
            state.next_seq = result.frames[-1].seq + 1
            state.last_at = result.frames[-1].at
        self._speech.note(result)
        return result

    async def _process(self, result: IngestResult, previous: asyncio.Future[None] | None) -> None:
        """Describe, commit and prune one window, strictly after the window before it."""
        if previous is not None:
            await previous
        config, state = self._state.config, self._state
        window = window_name(result.frames[0].at, result.frames[0].seq) if result.frames else ""
        tracked = False
        if result.frames:
            # The detection pass (CPU) runs beside the description (vision queue).
            _, tracked = await asyncio.gather(
                workflow.execute_activity(
                    "describe_stream_window",
                    DescribeStreamInput(
                        config.stream_id, window, config.backend, result.frames, config.prompt
                    ),
                    result_type=DescribeResult,
                    task_queue=config.vision_task_queue,
                    schedule_to_close_timeout=DESCRIBE_TIMEOUT,
                    heartbeat_timeout=timedelta(seconds=config.heartbeat_timeout_s),
                    retry_policy=STREAM_RETRY_POLICY,
                ),
                self._track(window, result),
            )
        commit: CommitWindowResult = await workflow.execute_activity(
            "commit_stream_window",
            CommitWindowInput(
                stream_id=config.stream_id,
                window=window,
                rules=config.rules,
                rule_last_match=dict(state.rule_last_match),
                rearm_s=config.rearm_s,
                gaps=result.gaps,
                live=result.live,
                source_error=result.source_error,
                frames_total=state.frames_described + len(result.frames),
                events_before=state.events,
                retention_s=config.retention_s,
                described=bool(result.frames),
                speech=state.speech,
                tracked=tracked,
            ),
            result_type=CommitWindowResult,
            task_queue=config.cpu_task_queue,
            start_to_close_timeout=SHORT,
            retry_policy=STREAM_RETRY_POLICY,
        )
        state.rule_last_match = commit.rule_last_match
        state.frames_described += len(result.frames)
        state.events += len(commit.event_ids)
        state.gaps += len(result.gaps)
        state.windows += 1
        for event_id in commit.event_ids:
            self._schedule_delivery(window, event_id)
        await workflow.execute_activity(
            "prune_stream",
            PruneInput(config.stream_id, config.retention_s, self._speech.needed_from()),
            result_type=PruneResult,
            task_queue=config.cpu_task_queue,
            start_to_close_timeout=SHORT,
            retry_policy=STREAM_RETRY_POLICY,
        )
        self._behind -= 1

    async def _track(self, window: str, result: IngestResult) -> bool:
        """The detection pass over the window's clip, stitched onto the stream's tracks;
        whether it ran (it does not without a clip, or without a detector on the worker)."""
        config = self._state.config
        if result.pass_clip is None:
            return False
        try:
            tracked: TrackSegmentResult = await workflow.execute_activity(
                "track_stream_window",
                TrackStreamInput(config.stream_id, window, result.pass_clip),
                result_type=TrackSegmentResult,
                task_queue=config.cpu_task_queue,
                start_to_close_timeout=TRACK_TIMEOUT,
                heartbeat_timeout=timedelta(seconds=config.heartbeat_timeout_s),
                retry_policy=STREAM_RETRY_POLICY,
            )
        except ActivityError as err:
            # Tracks add to a window; they never fail the stream. The window stopped by Ctrl-C
            # can leave a clip cut short (`videolens watch` failed with "... is not a video
            # file PyAV can read"): that window is counted from its moments alone.
            workflow.logger.warning("no tracks for window %s: %s", window, failure_reason(err))
            return False
        return bool(tracked.chunk)

    def _schedule_delivery(self, window: str, event_id: str) -> None:
        if self._state.config.webhook:
            task = asyncio.ensure_future(self._deliver(window, event_id))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, window: str, event_id: str) -> None:
        config = self._state.config
        try:
            await workflow.execute_activity(
                "deliver_stream_webhook",
                WebhookInput(config.stream_id, window, event_id, config.webhook_attempts),
                task_queue=config.cpu_task_queue,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=retry_policy(
                    STREAM_NON_RETRYABLE_ERRORS,
                    maximum_attempts=config.webhook_attempts,
                    maximum_interval_s=60,
                ),
            )
        except ActivityError as err:
            # The delivery's state (failed, and why) is in the store; the stream goes on.
            workflow.logger.warning("webhook for %s failed: %s", event_id, failure_reason(err))

    def _raise_if_failed(self) -> None:
        chain = self._chain
        if chain is not None and chain.done() and chain.exception() is not None:
            chain.result()  # raises the failure of the window being processed

    async def _drain(self) -> None:
        if self._chain is not None:
            await self._chain
        await self._speech.drain(final=self._stop)  # stopping: the last batch holds nothing
        if self._deliveries:
            await asyncio.gather(*self._deliveries)

    async def _abandon(self) -> None:
        """Cancel what is in flight (on failure or cancellation) and wait until it has ended."""
        running = (self._chain, self._speech.task, *self._deliveries)
        tasks = [t for t in running if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _close_reader(self) -> None:
        """Close the connection the reading worker keeps (best effort: it also times out)."""
        queue = self._state.reader_queue
        if not queue:
            return
        try:
            await workflow.execute_activity(
                "close_stream_reader",
                CloseReaderInput(self._state.config.stream_id),
                task_queue=queue,
                schedule_to_start_timeout=READER_SCHEDULE_TO_START,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=ONE_ATTEMPT,
            )
        except ActivityError:
            workflow.logger.info("the reading worker is gone; its reader closes when idle")

    async def _finish(self, status: str, error: str = "") -> None:
        state = self._state
        await workflow.execute_activity(
            "finish_stream",
            FinishStreamInput(state.config.stream_id, status, error, state.speech, state.events),
            task_queue=self._state.config.cpu_task_queue,
            start_to_close_timeout=SHORT,
            retry_policy=STREAM_RETRY_POLICY,
        )


def _down(state: StreamState) -> str:
    """Not live: still trying for a first frame, or trying to get back to the source."""
    return "reconnecting" if state.last_at is not None else "connecting"
