"""Workers for the CPU queue (workflows + probe/sample/finalize) and the vision queue."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from enum import Enum
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from videolens.config import Settings
from videolens.library.indexing import indexed_session_store, indexed_stream_store
from videolens.metrics.worker_metrics import WorkerMetrics
from videolens.pipeline.activities import CpuActivities, VisionActivities
from videolens.pipeline.speech_activities import SpeechActivities
from videolens.pipeline.stream_activities import StreamCpuActivities, StreamVisionActivities
from videolens.pipeline.stream_ingest import StreamIngestActivities
from videolens.pipeline.stream_speech import StreamSpeechActivities
from videolens.pipeline.stream_workflow import StreamWorkflow
from videolens.pipeline.tracking_activities import TrackingActivities
from videolens.pipeline.workflows import VideoAnalysisWorkflow

# Fast failover: a killed worker's sticky workflow tasks move on after 1 s, and heartbeats are
# sent at least every second so the checkpoint a retry resumes from is fresh.
STICKY_TIMEOUT = timedelta(seconds=1)
HEARTBEAT_THROTTLE = timedelta(seconds=1)
# In-process workers (analyze, up) end with their run: nothing long is left to finish.
EMBEDDED_SHUTDOWN_GRACE = timedelta(seconds=2)


class Queue(str, Enum):
    CPU = "cpu"
    VISION = "vision"
    CLOUD = "cloud"  # burst batches, described by the cloud backend (hybrid burst)
    ALL = "all"  # cpu + vision


@asynccontextmanager
async def running_workers(
    client: Client,
    settings: Settings,
    queue: Queue = Queue.ALL,
    concurrency: int | None = None,
    shutdown_grace: timedelta = EMBEDDED_SHUTDOWN_GRACE,
    metrics: WorkerMetrics | None = None,
) -> AsyncIterator[list[Worker]]:
    """Run the workers for ``queue`` until the block exits; backends are closed afterwards.

    ``concurrency`` overrides the per-queue maximum of concurrent activities from settings.
    On exit the workers stop polling and give running activities ``shutdown_grace`` to finish.
    ``metrics`` counts the vision batches (a private, unserved registry when None).
    """
    store = indexed_session_store(settings)  # batches reach the library index as they land
    cpu, vision = CpuActivities(store, settings), VisionActivities(store, settings, metrics)
    speech = SpeechActivities(store, settings)
    # Live streams: this process also answers on a queue of its own, where the workflow sends
    # the next window of a stream whose connection this process keeps open.
    streams = indexed_stream_store(settings)
    tracking = TrackingActivities(store, streams)
    reader_queue = f"{settings.cpu_task_queue}-reader-{uuid.uuid4().hex[:12]}"
    ingest = StreamIngestActivities(streams, reader_queue, speech=settings.speech != "off")
    stream_speech = StreamSpeechActivities(streams, speech.transcriber)
    stream_cpu = StreamCpuActivities(streams)
    stream_vision = StreamVisionActivities(vision, streams)
    # (task queue, default slots, activities, runs workflows) for each queue this worker serves.
    served: list[tuple[str, int, list[Callable[..., Any]], bool]] = []
    if queue in (Queue.CPU, Queue.ALL):
        cpu_activities: list[Callable[..., Any]] = [
            cpu.probe,
            cpu.sample,
            cpu.summarize,
            cpu.finalize,
            tracking.track_segment,
            tracking.stitch_tracks,
            tracking.track_stream_window,
            speech.check_audio,
            speech.transcribe,
            ingest.ingest,
            stream_cpu.commit,
            stream_cpu.prune,
            stream_cpu.deliver_webhook,
            stream_cpu.finish,
            stream_speech.transcribe,
        ]
        served.append((settings.cpu_task_queue, settings.cpu_concurrency, cpu_activities, True))
        reading: list[Callable[..., Any]] = [ingest.ingest, ingest.close_reader]
        served.append((reader_queue, settings.stream_readers_per_worker, reading, False))
    if queue in (Queue.VISION, Queue.ALL):
        vision.metrics.expect(settings.vision_task_queue, settings.backend)
        served.append(
            (
                settings.vision_task_queue,
                settings.vision_concurrency,
                [vision.describe, stream_vision.describe],
                False,
            )
        )
    if queue is Queue.CLOUD:
        served.append(
            (settings.cloud_task_queue, settings.vision_max_concurrency, [vision.describe], False)
        )
    executors: list[ThreadPoolExecutor] = []
    workers: list[Worker] = []
    for task_queue, default_slots, activities, with_workflows in served:
        slots = concurrency or default_slots
        executors.append(ThreadPoolExecutor(max_workers=slots + 1))
        workers.append(
            _worker(
                client, task_queue, executors[-1], slots, activities, with_workflows, shutdown_grace
            )
        )
    try:
        async with _all_running(workers):
            yield workers
    finally:
        ingest.close()
        vision.close()
        speech.close()
        for executor in executors:
            executor.shutdown(wait=False, cancel_futures=True)


def _worker(
    client: Client,
    task_queue: str,
    executor: ThreadPoolExecutor,
    slots: int,
    activities: list[Callable[..., Any]],
    with_workflows: bool,
    shutdown_grace: timedelta,
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[VideoAnalysisWorkflow, StreamWorkflow] if with_workflows else [],
        activities=activities,
        activity_executor=executor,
        max_concurrent_activities=slots,
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        default_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        graceful_shutdown_timeout=shutdown_grace,
    )


@asynccontextmanager
async def _all_running(workers: list[Worker]) -> AsyncIterator[None]:
    if not workers:
        yield
        return
    first, rest = workers[0], workers[1:]
    async with first, _all_running(rest):
        yield
