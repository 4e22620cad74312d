"""A `videolens worker` process SIGKILLed while it reads a live stream: after a new worker
starts, the stream goes on, nothing stored is lost or repeated, and the outage is a gap."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from stream_helpers import jpegs, store_of, wait_for
from stream_media import udp_sender
from temporalio.client import Client, WorkflowExecutionStatus

from process_helpers import VIDEOLENS, stop, worker_env
from videolens.config import Settings
from videolens.pipeline.stream_client import (
    StreamRequest,
    create_stream,
    request_stop,
    start_stream,
)
from videolens.video.synthetic import ClipSpec


def _worker_env(settings: Settings) -> dict[str, str]:
    return worker_env(
        settings,
        VIDEOLENS_HEARTBEAT_TIMEOUT_S="3",
        VIDEOLENS_BACKEND="basic",
        VIDEOLENS_SPEECH="off",
        VIDEOLENS_WORKER_METRICS_PORT="0",
    )


def _spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Its log goes to a file: a pipe nobody reads could fill and stall the worker.
    with log.open("wb") as sink:
        return subprocess.Popen(
            [VIDEOLENS, "worker", "--queue", "all"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )


@pytest.mark.timeout(180)
def test_a_killed_worker_loses_no_stored_frame(
    stream_settings: Settings, clip: ClipSpec, tmp_path: Path
) -> None:
    settings = stream_settings.model_copy(
        update={
            "cpu_task_queue": f"cpu-{uuid.uuid4().hex[:8]}",
            "vision_task_queue": f"vision-{uuid.uuid4().hex[:8]}",
        }
    )
    store = store_of(settings)
    env = _worker_env(settings)
    workers: list[subprocess.Popen[bytes]] = []

    async def scenario() -> dict[str, Any]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        with udp_sender(clip) as (_, url):
            workers.append(_spawn_worker(env, tmp_path / "worker-0.log"))
            document, config = create_stream(settings, StreamRequest(url=url, rules=["shot"]))
            stream_id = document.stream_id
            handle = await start_stream(client, config)
            await wait_for(lambda: len(store.moments(stream_id)) >= 3, 90, "frames described")
            before = {f.seq for f in store.moments(stream_id)}
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=30)
            killed_at = time.time()
            workers.append(_spawn_worker(env, tmp_path / "worker-1.log"))
            try:
                after = await wait_for(
                    lambda: [f for f in store.moments(stream_id) if (f.at or 0.0) > killed_at + 1],
                    90,
                    "frames after the new worker took over",
                )
            except AssertionError:
                with (tmp_path / "history.txt").open("w") as out:
                    async for event in handle.fetch_history_events():
                        out.write(f"{event}\n")
                raise
            await request_stop(client, stream_id)
            summary = await asyncio.wait_for(handle.result(), 60)
            status = (await handle.describe()).status
        return {
            "id": stream_id,
            "before": before,
            "after": after,
            "killed_at": killed_at,
            "summary": summary,
            "status": status,
        }

    try:
        run = asyncio.run(scenario())
    finally:
        for worker in workers:
            stop(worker)
    stream_id = run["id"]
    frames = store.moments(stream_id)
    seqs = [f.seq for f in frames]
    # Nothing stored was lost, nothing stored twice, no number skipped.
    assert run["before"] <= set(seqs)
    assert seqs == list(range(len(seqs)))
    assert [f.at for f in frames] == sorted({f.at or 0.0 for f in frames})
    assert {str(p) for p in jpegs(settings, stream_id)} == {f.image for f in frames}
    document = store.document(stream_id)
    assert document.frames_total == len(frames) == run["summary"].frames
    # The time nobody watched is reported, with why.
    gaps = [g for g in document.gaps if g.start_at <= run["killed_at"] <= g.end_at]
    assert gaps, document.gaps
    assert "worker" in (gaps[0].reason or "")
    print(f"worker outage gap: {gaps[0].seconds or 0.0:.1f} s ({gaps[0].reason})")
    assert run["status"] == WorkflowExecutionStatus.COMPLETED
    assert document.status == "stopped"
