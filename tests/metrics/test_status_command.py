"""`videolens status` as a process: workers per queue, backlog, sessions and alerts, against
the real dev server, an embedded server it must not start, and a Temporal that is down."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

from temporalio.client import Client

from polling import wait_async
from videolens.config import Settings
from videolens.metrics.queues import describe_queues
from videolens.pipeline.embedded_server import embedded_server, server_running
from videolens.pipeline.temporal_server import free_port
from videolens.pipeline.worker import Queue, running_workers
from videolens.store import SessionStore
from videolens.streams.store import StreamStore


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOLENS_")}
    env["VIDEOLENS_DATA_DIR"] = str(settings.data_dir)
    env.update(extra)
    return env


def _status(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "videolens", "status", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


async def _status_async(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """``_status`` while this process's event loop keeps its workers polling."""
    done = await asyncio.to_thread(_status, env, *args)
    return done.returncode, done.stdout, done.stderr


def test_status_of_a_cluster_with_workers(settings: Settings) -> None:
    assert settings.temporal_address
    env = _env(
        settings,
        VIDEOLENS_TEMPORAL_ADDRESS=settings.temporal_address,
        VIDEOLENS_CPU_TASK_QUEUE=settings.cpu_task_queue,
        VIDEOLENS_VISION_TASK_QUEUE=settings.vision_task_queue,
    )

    async def scenario() -> tuple[tuple[int, str, str], tuple[int, str, str]]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        async with running_workers(client, settings, Queue.ALL):

            async def all_polled() -> bool:
                return all(q.pollers for q in await describe_queues(client, settings))

            await wait_async(all_polled, 20, "pollers on every queue")
            return await _status_async(env), await _status_async(env, "--json")

    (code, text, stderr), (json_code, raw, _) = asyncio.run(scenario())
    assert code == 0 and json_code == 0, stderr
    assert f"Temporal: {settings.temporal_address}" in text
    lines = text.splitlines()
    vision = [line for line in lines if settings.vision_task_queue in line]
    assert len(vision) == 1 and "1 worker " in vision[0] and "backlog 0" in vision[0], text
    assert len([line for line in lines if settings.cpu_task_queue in line]) == 2, text
    assert "Sessions: 0 running, 0 completed, 0 failed, 0 cancelled" in text
    assert lines[-1] == "Alerts: none"

    document = json.loads(raw)
    assert document["temporal_reachable"] is True and document["alerts"] == []
    sides = {(q["role"], q["kind"]): q["pollers"] for q in document["queues"]}
    assert sides == {("cpu", "workflow"): 1, ("cpu", "activity"): 1, ("vision", "activity"): 1}


def test_status_never_starts_the_embedded_server(settings: Settings) -> None:
    store = SessionStore(settings.sessions_dir)
    session_id = store.new_session_id()
    store.create("/videos/holiday.mp4", {}, session_id=session_id)
    streams = StreamStore(settings.streams_dir)
    live = streams.create({"url": "udp://127.0.0.1:5004", "name": "gate"}, {}).stream_id
    streams.update(live, status="live", frames_total=1, last_frame_at=time.time())
    stopped = streams.create({"url": "udp://127.0.0.1:5005", "name": "yard"}, {}).stream_id
    streams.update(stopped, status="stopped")

    done = _status(_env(settings))

    assert done.returncode == 0, done.stderr
    assert "Temporal: embedded, not running" in done.stdout
    assert "Sessions: 1 running" in done.stdout
    assert f"running  {session_id}  0 frames described" in done.stdout
    assert "warning: VideolensSessionsPaused: 1 running session waits:" in done.stdout
    assert "Live streams: 1 live, 1 stopped" in done.stdout
    assert f"live  {live}  1 frame  last frame " in done.stdout
    assert stopped not in done.stdout
    assert not server_running(settings.data_dir)
    assert not (settings.data_dir / "temporal-server.json").exists()


def test_status_reads_the_running_embedded_server(settings: Settings) -> None:
    embedded = Settings(_env_file=None, data_dir=settings.data_dir)  # type: ignore[call-arg]
    with embedded_server(embedded.data_dir, embedded.temporal_db_path, free_port()) as address:
        done = _status(_env(settings))
        assert server_running(settings.data_dir)
    assert done.returncode == 0, done.stderr
    assert f"Temporal: {address} (embedded)" in done.stdout
    # Embedded queues are named after the data dir; nobody polls them: one alert per side.
    assert embedded.vision_task_queue in done.stdout
    assert done.stdout.count("critical: VideolensNoPoller") == 3, done.stdout


def test_status_when_the_cluster_does_not_answer(settings: Settings) -> None:
    address = f"127.0.0.1:{free_port()}"
    done = _status(_env(settings, VIDEOLENS_TEMPORAL_ADDRESS=address))
    assert done.returncode == 0, done.stderr
    assert f"Temporal: {address}" in done.stdout
    assert f"critical: VideolensTemporalUnreachable: Temporal at {address} does not answer" in (
        done.stdout
    )
    assert "Traceback" not in done.stderr
