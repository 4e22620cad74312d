"""The Temporal server killed (kill -9) and restarted on its database while a stream runs: the
stream goes on from where it was recorded, nothing stored is lost or repeated."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from stream_helpers import jpegs, store_of, wait_for, watched_stream
from stream_media import udp_sender
from temporalio.client import WorkflowExecutionStatus

from videolens.config import Settings
from videolens.pipeline.stream_client import StreamRequest
from videolens.pipeline.temporal_server import (
    free_port,
    start_dev_server,
    stop_dev_server,
    wait_until_listening,
)
from videolens.video.synthetic import ClipSpec


@pytest.mark.timeout(180)
def test_a_stream_survives_a_temporal_server_restart(
    stream_settings: Settings, clip: ClipSpec, tmp_path: Path
) -> None:
    port = free_port()
    database = tmp_path / "temporal.sqlite"
    servers = [start_dev_server(port, tmp_path / "server.log", database)]
    settings = stream_settings.model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    store = store_of(settings)

    async def scenario() -> dict[str, Any]:
        wait_until_listening(port)
        with udp_sender(clip) as (_, url):
            async with watched_stream(settings, StreamRequest(url=url)) as stream:
                stream_id = stream.stream_id
                await wait_for(lambda: len(store.moments(stream_id)) >= 3, 60, "frames")
                before = {f.seq for f in store.moments(stream_id)}
                servers[0].send_signal(signal.SIGKILL)
                servers[0].wait(10)
                servers.append(start_dev_server(port, tmp_path / "server.log", database))
                wait_until_listening(port)
                restarted_at = time.time()
                await wait_for(
                    lambda: [f for f in store.moments(stream_id) if f.at > restarted_at + 1],
                    90,
                    "frames after the restart",
                )
                summary = await stream.stop(60)
                status = (await stream.handle.describe()).status
        return {"id": stream_id, "before": before, "summary": summary, "status": status}

    try:
        run = asyncio.run(scenario())
    finally:
        for server in servers:
            stop_dev_server(server)
    frames = store.moments(run["id"])
    seqs = [f.seq for f in frames]
    assert run["before"] <= set(seqs) and seqs == list(range(len(seqs)))
    assert {str(p) for p in jpegs(settings, run["id"])} == {f.image for f in frames}
    assert run["summary"].frames == len(frames) == store.document(run["id"]).frames_total
    assert run["status"] == WorkflowExecutionStatus.COMPLETED
    print(f"gaps over the server restart: {store.document(run['id']).gaps}")
