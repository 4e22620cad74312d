"""Starting an analysis workflow and following its progress (used by the CLI and the API)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from videolens.backends.routing import resolve_backend_name
from videolens.config import Settings
from videolens.errors import TemporalUnavailableError
from videolens.pipeline.shared import (
    WORKFLOW_NAME,
    AnalysisProgress,
    AnalysisSummary,
    AnalyzeVideoInput,
)
from videolens.video.types import SamplingOptions

PROGRESS_POLL_S = 0.5
QUERY_TIMEOUT_S = 3.0
OUTAGE_DEADLINE_S = 120.0
"""How long a follower rides out a Temporal outage before giving up with one clear sentence."""
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 5.0

# Statuses of a lost or reset connection: the server may come back, so the call is retried.
_TRANSIENT = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.UNKNOWN,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.ABORTED,
    RPCStatusCode.INTERNAL,
    RPCStatusCode.RESOURCE_EXHAUSTED,
}


def workflow_id(session_id: str) -> str:
    return f"videolens-{session_id}"


def floor_interval(settings: Settings) -> float:
    """The floor for the backend that will describe the frames: dense for the offline one."""
    backend = settings.backend
    if backend == "auto":
        backend = resolve_backend_name(settings)
    return settings.basic_floor_interval_s if backend == "basic" else settings.floor_interval_s


def sampling_options(settings: Settings) -> SamplingOptions:
    return SamplingOptions(
        strategy=settings.strategy.value,
        interval_s=settings.interval_s,
        floor_interval_s=floor_interval(settings),
        max_frames=settings.max_frames,
        max_side=settings.max_side,
        jpeg_quality=settings.jpeg_quality,
    )


def recorded_options(settings: Settings) -> dict[str, Any]:
    """The analysis options stored with a session, whichever surface started it."""
    return {
        "strategy": settings.strategy.value,
        "interval_s": settings.interval_s,
        "max_frames": settings.max_frames,
        "backend": settings.backend,
        "prompt": settings.vision_prompt,
    }


def analysis_input(
    settings: Settings, session_id: str, video_path: str, frames_dir: str
) -> AnalyzeVideoInput:
    """The workflow input for one session, from settings (queues, sampling, backend, batches)."""
    return AnalyzeVideoInput(
        session_id=session_id,
        video_path=video_path,
        frames_dir=frames_dir,
        options=sampling_options(settings),
        backend=settings.backend,
        batch_size=settings.batch_size,
        segment_s=settings.segment_s,
        cpu_task_queue=settings.cpu_task_queue,
        vision_task_queue=settings.vision_task_queue,
        heartbeat_timeout_s=settings.heartbeat_timeout_s,
        cloud_task_queue=settings.cloud_task_queue if settings.burst_to_cloud else "",
        local_vision_capacity=settings.vision_concurrency,
        prompt=settings.vision_prompt or "",
        speech=settings.speech != "off",
        speech_range_s=settings.speech_range_s,
        tracking=settings.tracking,
        tracking_fps=settings.tracking_fps,
    )


async def start_analysis(
    client: Client, request: AnalyzeVideoInput
) -> WorkflowHandle[object, AnalysisSummary]:
    # The workflow runs on the CPU queue; it routes each activity to its own queue.
    return await client.start_workflow(
        WORKFLOW_NAME,
        request,
        id=workflow_id(request.session_id),
        task_queue=request.cpu_task_queue,
        result_type=AnalysisSummary,
    )


async def query_progress(handle: WorkflowHandle[object, AnalysisSummary]) -> AnalysisProgress:
    progress: AnalysisProgress = await handle.query("progress", result_type=AnalysisProgress)
    return progress


async def wait_or_terminate(
    handle: WorkflowHandle[Any, Any], deadline_s: float, reason: str
) -> None:
    """Wait until the workflow (asked to stop or cancel) has ended; past ``deadline_s``,
    terminate it with ``reason``. How it ended is not this caller's concern."""
    try:
        with contextlib.suppress(WorkflowFailureError, RPCError):
            await asyncio.wait_for(handle.result(), deadline_s)
    except asyncio.TimeoutError:
        with contextlib.suppress(RPCError):
            await handle.terminate(reason)


def is_transient(err: RPCError) -> bool:
    """True for errors of a lost connection (worth retrying), not of a refused request."""
    return err.status in _TRANSIENT


class _Outage:
    """Time since Temporal last answered, and the backoff between attempts while it does not."""

    def __init__(self, deadline_s: float) -> None:
        self._deadline_s = deadline_s
        self._since: float | None = None
        self._delay = BACKOFF_INITIAL_S

    def over(self) -> None:
        self._since, self._delay = None, BACKOFF_INITIAL_S

    async def wait(self, err: RPCError) -> None:
        """Back off before the next attempt; raise once the outage has lasted past the deadline."""
        now = time.monotonic()
        self._since = self._since or now
        if now - self._since > self._deadline_s:
            raise TemporalUnavailableError(
                f"lost contact with Temporal for more than {self._deadline_s:.0f} s ({err.message})"
            ) from err
        await asyncio.sleep(self._delay)
        self._delay = min(self._delay * 2, BACKOFF_MAX_S)


async def follow(
    handle: WorkflowHandle[object, AnalysisSummary],
    on_progress: Callable[[AnalysisProgress], None],
    *,
    recover: Callable[[], Awaitable[None]] | None = None,
    outage_deadline_s: float = OUTAGE_DEADLINE_S,
) -> AnalysisSummary:
    """Wait for the workflow's result, reporting progress about twice a second.

    A Temporal outage is ridden out: the client reconnects by itself once the server answers
    again, so calls lost to the outage are retried with backoff. ``recover`` (embedded mode:
    restart this data dir's dead server) is awaited whenever the server does not answer. After
    ``outage_deadline_s`` without an answer, ``TemporalUnavailableError`` says so in one sentence.
    """
    outage = _Outage(outage_deadline_s)
    while True:
        result = asyncio.ensure_future(handle.result())
        try:
            while not result.done():
                if await _report_progress(handle, on_progress):
                    outage.over()
                elif recover is not None:
                    await recover()
                await asyncio.wait({result}, timeout=PROGRESS_POLL_S)
            return result.result()
        except RPCError as err:
            if not is_transient(err):
                raise
            if recover is not None:
                await recover()
            await outage.wait(err)
        finally:
            if not result.done():
                result.cancel()


async def _report_progress(
    handle: WorkflowHandle[object, AnalysisSummary],
    on_progress: Callable[[AnalysisProgress], None],
) -> bool:
    """Query progress and report it; False when Temporal did not answer in time.

    A refused query (no worker has picked the workflow up yet, or it has just finished) is an
    answer: the server is there.
    """
    try:
        progress = await asyncio.wait_for(query_progress(handle), QUERY_TIMEOUT_S)
    except asyncio.TimeoutError:
        return False
    except RPCError as err:
        return not is_transient(err)
    on_progress(progress)
    return True
