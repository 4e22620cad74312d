"""Backlog and pollers from Temporal's DescribeTaskQueue on the real dev server, and the alerts
``collect_metrics`` derives from them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import Client

from analysis_sessions import submit
from polling import temporal_client, wait_async
from videolens.config import Settings
from videolens.metrics.collect import Figures, collect_metrics
from videolens.metrics.queues import QueueFigures, describe_queues
from videolens.pipeline.temporal_server import (
    free_port,
    start_dev_server,
    stop_dev_server,
    wait_until_listening,
)
from videolens.pipeline.worker import Queue, running_workers
from videolens.store import SessionStore
from videolens.video.synthetic import ClipSpec


def _side(queues: list[QueueFigures], role: str, kind: str) -> QueueFigures:
    (found,) = [q for q in queues if q.role == role and q.kind == kind]
    return found


def test_backlog_waits_for_a_vision_worker_and_drains_when_one_polls(
    settings: Settings, text_clip: ClipSpec
) -> None:
    async def scenario() -> tuple[list[QueueFigures], Figures, list[QueueFigures], Figures]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        store = SessionStore(settings.sessions_dir)

        async def vision_waiting() -> list[QueueFigures] | None:
            queues = await describe_queues(client, settings)
            return queues if _side(queues, "vision", "activity").backlog > 0 else None

        async with running_workers(client, settings, Queue.CPU):
            _, _, handle = await submit(client, settings, text_clip.path)
            waiting = await wait_async(vision_waiting, 40, "a vision batch in the backlog")
            alarmed = await collect_metrics(settings, store, client, temporal="test")
            async with running_workers(client, settings, Queue.VISION):
                await handle.result()

                async def drained() -> list[QueueFigures] | None:
                    queues = await describe_queues(client, settings)
                    vision = _side(queues, "vision", "activity")
                    return queues if vision.backlog == 0 and vision.pollers > 0 else None

                served = await wait_async(drained, 30, "the backlog to drain")
                quiet = await collect_metrics(settings, store, client, temporal="test")
        return waiting, alarmed, served, quiet

    waiting, alarmed, served, quiet = asyncio.run(scenario())

    vision = _side(waiting, "vision", "activity")
    assert vision.task_queue == settings.vision_task_queue
    assert vision.pollers == 0 and vision.backlog >= 1 and vision.backlog_age_s > 0
    assert _side(waiting, "cpu", "workflow").pollers >= 1
    assert _side(waiting, "cpu", "activity").pollers >= 1
    assert [(a.name, a.severity) for a in alarmed.alerts] == [("VideolensNoPoller", "critical")]
    assert settings.vision_task_queue in alarmed.alerts[0].message
    assert "videolens worker --queue vision" in alarmed.alerts[0].message
    assert alarmed.sessions["running"] == 1 and alarmed.temporal_reachable

    assert all(q.pollers >= 1 for q in served)
    assert _side(served, "vision", "activity").poller_identities
    assert quiet.alerts == [] and quiet.sessions["completed"] == 1 and quiet.running == []


def test_temporal_that_stops_answering_is_an_alert(tmp_path: Path, settings: Settings) -> None:
    port = free_port()
    server = start_dev_server(port, tmp_path / "temporal.log")

    async def scenario() -> Figures:
        wait_until_listening(port)
        # Listening is not serving: under load the frontend said "not healthy yet" here.
        client = await temporal_client(f"127.0.0.1:{port}")
        stop_dev_server(server)
        store = SessionStore(settings.sessions_dir)
        return await collect_metrics(settings, store, client, temporal=f"127.0.0.1:{port}")

    try:
        figures = asyncio.run(scenario())
    finally:
        stop_dev_server(server)
    assert not figures.temporal_reachable and figures.queues == []
    assert figures.temporal_error
    assert [a.name for a in figures.alerts] == ["VideolensTemporalUnreachable"]
    assert f"127.0.0.1:{port}" in figures.alerts[0].message
