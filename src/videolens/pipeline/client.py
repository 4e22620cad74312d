"""Starting an analysis workflow and following its progress (used by the CLI and the API)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from videolens.backends.routing import resolve_backend_name
from videolens.config import Settings
from videolens.pipeline.shared import (
    WORKFLOW_NAME,
    AnalysisProgress,
    AnalysisSummary,
    AnalyzeVideoInput,
)
from videolens.video.types import SamplingOptions

PROGRESS_POLL_S = 0.5


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


async def follow(
    handle: WorkflowHandle[object, AnalysisSummary],
    on_progress: Callable[[AnalysisProgress], None],
) -> AnalysisSummary:
    """Wait for the workflow's result, reporting progress about twice a second."""
    result = asyncio.ensure_future(handle.result())
    try:
        while not result.done():
            # RPCError: no worker has picked the workflow up yet, or it has just finished.
            with contextlib.suppress(RPCError):
                on_progress(await query_progress(handle))
            await asyncio.wait({result}, timeout=PROGRESS_POLL_S)
        return result.result()
    finally:
        if not result.done():
            result.cancel()
