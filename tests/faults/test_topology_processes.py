"""The Compose topology as processes, without containers: a Temporal dev server, `videolens
serve`, two CPU and two vision workers on one data dir. An upload through the API completes, both
vision workers' metrics show batches taken, and a vision worker sent SIGTERM mid-batch finishes
that batch and exits; the other takes the rest, every frame once and no batch retried."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from fault_helpers import VIDEOLENS, DataDir, assert_frames_complete, poll, ready, spawn, stop
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from openai_fake import OpenAIFake
from videolens.pipeline.client import workflow_id
from videolens.pipeline.temporal_server import (
    free_port,
    start_dev_server,
    stop_dev_server,
    wait_until_listening,
)
from videolens.video.synthetic import ClipSpec

# Each vision request takes this long at the fake model server, so a batch is in flight long
# enough to send SIGTERM in its middle (a GPU batch, in the real topology).
MODEL_DELAY_S = 1.5


def _metric(port: int, name: str) -> float | None:
    """The summed value of ``name`` on a worker's /metrics, None when it cannot be read."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return None
    values = [
        float(match.group(1))
        for match in re.finditer(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.MULTILINE)
    ]
    return sum(values) if values else 0.0


async def _describe_attempts(address: str, session_id: str) -> list[int]:
    """The attempt on which each describe activity of the session's workflow completed.

    A retry does not add events to the history: an activity that needed a second attempt shows
    ``attempt`` 2 on its started event.
    """
    client = await Client.connect(address)
    describe_ids: set[int] = set()
    started: dict[int, int] = {}
    completed: list[int] = []
    async for event in client.get_workflow_handle(workflow_id(session_id)).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            if (
                event.activity_task_scheduled_event_attributes.activity_type.name
                == "describe_batch"
            ):
                describe_ids.add(event.event_id)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attributes = event.activity_task_started_event_attributes
            started[attributes.scheduled_event_id] = attributes.attempt
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            scheduled = event.activity_task_completed_event_attributes.scheduled_event_id
            if scheduled in describe_ids:
                completed.append(started[scheduled])
    assert len(completed) == len(describe_ids), "a describe activity did not complete"
    return completed


@pytest.mark.timeout(420)
def test_the_compose_topology_as_processes(
    data: DataDir, fault_clip: ClipSpec, openai_fake: OpenAIFake, tmp_path: Path
) -> None:
    openai_fake.script(times=None, only="chat", delay_s=MODEL_DELAY_S)
    temporal_port = free_port()
    address = f"127.0.0.1:{temporal_port}"
    server = start_dev_server(temporal_port, tmp_path / "temporal.log")
    env = {
        **data.environment(),
        "VIDEOLENS_TEMPORAL_ADDRESS": address,
        "VIDEOLENS_BACKEND": "openai",
        "VIDEOLENS_VISION_BASE_URL": openai_fake.base_url,
        "VIDEOLENS_VISION_MODEL": "fake-model",
        "VIDEOLENS_VISION_FRAMES_PER_REQUEST": "2",
        "VIDEOLENS_BATCH_SIZE": "2",
        "VIDEOLENS_WORKER_SHUTDOWN_GRACE_S": "60",
    }
    processes: list[subprocess.Popen[str]] = []
    vision_ports = [free_port(), free_port()]
    try:
        wait_until_listening(temporal_port)
        api = spawn([VIDEOLENS, "serve", "--port", str(data.api_port)], env)
        processes.append(api)
        for _ in range(2):
            processes.append(
                spawn([VIDEOLENS, "worker", "--queue", "cpu", "--metrics-port", "0"], env)
            )
        vision = [
            spawn([VIDEOLENS, "worker", "--queue", "vision", "--metrics-port", str(port)], env)
            for port in vision_ports
        ]
        processes.extend(vision)
        poll(lambda: ready(data.url) or api.poll() is not None, 120, "`videolens serve` ready")
        for port in vision_ports:
            poll(
                lambda port=port: _metric(port, "videolens_frames_described_total") is not None,
                60,
                f"vision worker metrics on {port}",
            )

        with fault_clip.path.open("rb") as handle:
            response = httpx.post(
                f"{data.url}/v1/videos",
                files={"file": ("topology.mp4", handle, "application/octet-stream")},
                timeout=60,
            )
        assert response.status_code == 202, response.text
        session_id = response.json()["session_id"]

        # Both vision workers take batches (the queue spreads them), then the first is told to
        # stop while it has a batch in flight.
        first, second = vision_ports
        poll(
            lambda: all(
                (_metric(port, "videolens_frames_described_total") or 0) > 0
                for port in vision_ports
            ),
            180,
            "both vision workers to describe frames",
        )
        poll(
            lambda: (_metric(first, "videolens_batches_in_progress") or 0) > 0,
            60,
            "a batch in flight on the first vision worker",
        )
        described_before = _metric(first, "videolens_frames_described_total") or 0
        vision[0].send_signal(signal.SIGTERM)
        returncode, stderr = stop(vision[0])
        assert returncode == 0, stderr
        assert "worker stopped" in stderr
        assert "Traceback" not in stderr

        def finished() -> dict[str, object] | None:
            document = httpx.get(f"{data.url}/v1/sessions/{session_id}", timeout=10).json()
            return document if document["status"] != "running" else None

        document = poll(finished, 240, "the session to finish")
        assert document["status"] == "completed", document.get("error")
        frames = httpx.get(
            f"{data.url}/v1/sessions/{session_id}/frames", params={"limit": 500}, timeout=10
        ).json()["frames"]
        assert_frames_complete({"frames": frames}, fault_clip)
        assert (_metric(second, "videolens_frames_described_total") or 0) > 0
        # The batch in flight at SIGTERM was finished by the stopping worker, not retried
        # elsewhere: every describe activity completed on its first attempt.
        attempts = asyncio.run(_describe_attempts(address, session_id))
        assert attempts and set(attempts) == {1}, attempts
        assert described_before > 0
    finally:
        for process in processes:
            stop(process)
        stop_dev_server(server)
