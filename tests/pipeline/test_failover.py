"""A worker process killed with SIGKILL mid-run: another worker finishes the workflow."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from temporalio.client import Client

from analysis_sessions import submit
from polling import wait_async
from videolens.config import SamplingStrategy, Settings
from videolens.pipeline.client import query_progress
from videolens.video.synthetic import Shot, write_clip


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VIDEOLENS_DATA_DIR": str(settings.data_dir),
        "VIDEOLENS_TEMPORAL_ADDRESS": str(settings.temporal_address),
        "VIDEOLENS_CPU_TASK_QUEUE": settings.cpu_task_queue,
        "VIDEOLENS_VISION_TASK_QUEUE": settings.vision_task_queue,
    }
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "videolens", "worker", "--queue", "all"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def test_killed_worker_leaves_nothing_missing_or_duplicated(
    settings: Settings, tmp_path: Path
) -> None:
    clip = write_clip(
        tmp_path / "clip.mp4",
        [
            Shot(6.0, (200, 40, 40), "ALPHA"),
            Shot(6.0, (30, 120, 200), "BRAVO"),
            Shot(6.0, (240, 220, 60), "CHARLIE"),
        ],
    )
    settings = settings.model_copy(
        update={
            "strategy": SamplingStrategy.INTERVAL,
            "interval_s": 0.25,
            "batch_size": 4,
            "segment_s": 6.0,
        }
    )
    log = tmp_path / "workers.log"
    first = _start_worker(settings, log)
    second: subprocess.Popen[bytes] | None = None
    try:

        async def scenario() -> tuple[dict[str, Any], int]:
            nonlocal second
            assert settings.temporal_address
            client = await Client.connect(settings.temporal_address)
            store, session_id, handle = await submit(client, settings, clip.path)

            async def two_batches_done() -> bool:
                try:
                    return (await query_progress(handle)).batches_done >= 2
                except Exception:
                    return False  # the worker is still starting up

            await wait_async(two_batches_done, 90, "two described batches")
            progress = await query_progress(handle)
            assert progress.batches_done < progress.batches_total or progress.segments_done < 3
            first.send_signal(signal.SIGKILL)
            first.wait()
            second = _start_worker(settings, log)
            summary = await asyncio.wait_for(handle.result(), timeout=180)
            return store.get(session_id), summary.frames

        document, frames_reported = asyncio.run(scenario())
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)

    assert document["status"] == "completed", log.read_text()
    indexes = [frame["index"] for frame in document["frames"]]
    assert len(indexes) == len(set(indexes)), "a frame was described twice"
    # 18 s at 4 frames a second; the first frame at or after each k/4 s, at 25 fps.
    expected = {math.ceil(k * 0.25 * 25) for k in range(72)}
    assert set(indexes) == expected
    assert frames_reported == len(expected)
