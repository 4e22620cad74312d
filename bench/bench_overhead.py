"""Temporal overhead per batch: the workflow end to end vs the same activities called directly.

Both runs do the same work in the same order: one segment (the clip is shorter than a segment),
then its batches one at a time (the vision worker runs one activity at a time, its default, while
the workflow keeps up to 8 batches scheduled, as in production), so the difference is what
Temporal adds: scheduling, history, payload conversion, heartbeats, polling.
The workflow runs against the real dev server with the same in-process workers `videolens
analyze` uses in embedded mode.

    .venv/bin/python bench/bench_overhead.py [--seconds 60] [--batch-size 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import ActivityEnvironment

from videolens.config import SamplingStrategy, Settings
from videolens.pipeline.activities import CpuActivities, VisionActivities
from videolens.pipeline.client import analysis_input, start_analysis
from videolens.pipeline.shared import (
    AnalysisSummary,
    DescribeBatchInput,
    FinalizeInput,
    ProbeInput,
    SampleSegmentInput,
    SummarizeInput,
)
from videolens.pipeline.temporal_server import (
    free_port,
    start_dev_server,
    stop_dev_server,
    wait_until_listening,
)
from videolens.pipeline.worker import running_workers
from videolens.store import SessionStore
from videolens.video.segments import plan_segments
from videolens.video.synthetic import Shot, write_clip


def run_direct(settings: Settings, video: Path) -> tuple[float, int]:
    """Every activity called in order, in this thread, with no Temporal in between."""
    store = SessionStore(settings.sessions_dir)
    session_id = store.new_session_id()
    store.create(str(video), {}, session_id=session_id)
    request = analysis_input(settings, session_id, str(video), str(store.frames_dir(session_id)))
    cpu, vision, env = (
        CpuActivities(store, settings),
        VisionActivities(store, settings),
        ActivityEnvironment(),
    )
    vision.backend(request.backend)  # the worker builds its backend once; not part of the run
    start = time.perf_counter()
    info = env.run(cpu.probe, ProbeInput(session_id, str(video)))
    batches = 0
    for segment in plan_segments(info, request.options, request.segment_s):
        sample = env.run(
            cpu.sample,
            SampleSegmentInput(
                session_id, str(video), request.frames_dir, segment, request.options
            ),
        )
        for number in range(0, len(sample.frames), request.batch_size):
            frames = sample.frames[number : number + request.batch_size]
            env.run(
                vision.describe,
                DescribeBatchInput(session_id, f"b{number:05d}", request.backend, frames),
            )
            batches += 1
    summary = env.run(cpu.summarize, SummarizeInput(session_id, info))
    env.run(cpu.finalize, FinalizeInput(session_id, "completed", video=info, summary=summary))
    elapsed = time.perf_counter() - start
    vision.close()
    return elapsed, batches


async def run_workflow(settings: Settings, video: Path) -> tuple[float, float]:
    """One timed workflow run; returns (wall seconds, seconds spent inside activities).

    The workers first run one untimed analysis, so the backend is loaded, as in a long-running
    worker. Time inside activities comes from the workflow history (started → completed), so
    ``wall - inside`` is what Temporal added, measured within the same run.
    """
    from temporalio.client import Client

    assert settings.temporal_address
    client = await Client.connect(settings.temporal_address)
    store = SessionStore(settings.sessions_dir)
    async with running_workers(client, settings):
        wall = 0.0
        for _warm_up_then_timed in range(2):
            session_id = store.new_session_id()
            store.create(str(video), {}, session_id=session_id)
            request = analysis_input(
                settings, session_id, str(video), str(store.frames_dir(session_id))
            )
            start = time.perf_counter()
            handle = await start_analysis(client, request)
            await handle.result()
            wall = time.perf_counter() - start
        return wall, await _seconds_inside_activities(handle)


async def _seconds_inside_activities(handle: WorkflowHandle[object, AnalysisSummary]) -> float:
    history = await handle.fetch_history()
    started: dict[int, float] = {}
    inside = 0.0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started[event.event_id] = event.event_time.ToDatetime().timestamp()
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attributes = event.activity_task_completed_event_attributes
            inside += (
                event.event_time.ToDatetime().timestamp() - started[attributes.started_event_id]
            )
    return inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="videolens-bench-"))
    shots = [
        Shot(args.seconds / 6, (40 * i % 255, 90, 200 - 30 * i), f"SHOT {i}") for i in range(6)
    ]
    clip = write_clip(work / "clip.mp4", shots)
    port = free_port()
    server = start_dev_server(port, work / "temporal.log")
    try:
        wait_until_listening(port)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=work / "data",
            temporal_address=f"127.0.0.1:{port}",
            strategy=SamplingStrategy.INTERVAL,
            interval_s=1.0,
            batch_size=args.batch_size,
            segment_s=args.seconds * 2,  # one segment: the two runs do the same work in order
            tracking=False,  # the direct run calls no detection pass either
            cpu_task_queue=f"cpu-{uuid.uuid4().hex[:6]}",
            vision_task_queue=f"vision-{uuid.uuid4().hex[:6]}",
        )
        direct, workflow, outside, batches = [], [], [], 0
        for _ in range(args.repeat):
            seconds, batches = run_direct(settings, clip.path)
            direct.append(seconds)
            wall, inside = asyncio.run(run_workflow(settings, clip.path))
            workflow.append(wall)
            outside.append(wall - inside)
    finally:
        stop_dev_server(server)

    direct_s, workflow_s = statistics.median(direct), statistics.median(workflow)
    overhead_ms = (workflow_s - direct_s) / batches * 1000
    best_ms = (min(workflow) - min(direct)) / batches * 1000
    activities = batches + 4  # probe, one sample, the batches, summarize, finalize
    history_ms = statistics.median(outside) / batches * 1000
    print(f"clip: {args.seconds:.0f} s, interval 1 s, {batches} batches of {args.batch_size}")
    print(f"direct activities (median of {args.repeat}): {direct_s:8.3f} s  {direct}")
    print(f"Temporal workflow (median of {args.repeat}): {workflow_s:8.3f} s  {workflow}")
    print(f"ratio workflow/direct: {workflow_s / direct_s:.3f}")
    print(f"Temporal overhead per batch, workflow - direct, medians: {overhead_ms:.1f} ms")
    print(f"Temporal overhead per batch, workflow - direct, best runs: {best_ms:.1f} ms")
    print(
        f"Temporal overhead per batch, wall - time inside activities (same run, from history; "
        f"{activities} activities in all): {history_ms:.1f} ms (target <= 50 ms)"
    )


if __name__ == "__main__":
    main()
