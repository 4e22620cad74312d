"""Hybrid burst: past twice the local vision capacity, batches go to the cloud queue."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from temporalio.client import Client

from analysis_sessions import submit
from openai_fake import OpenAIFake
from videolens.config import SamplingStrategy, Settings
from videolens.pipeline.client import follow
from videolens.pipeline.shared import AnalysisProgress
from videolens.pipeline.worker import Queue, running_workers
from videolens.video.synthetic import ClipSpec


def test_backlog_beyond_local_capacity_bursts_to_the_cloud_queue(
    settings: Settings, text_clip: ClipSpec, openai_fake: OpenAIFake
) -> None:
    settings = settings.model_copy(
        update={
            "strategy": SamplingStrategy.INTERVAL,
            "interval_s": 0.5,
            "batch_size": 2,
            "vision_concurrency": 1,
            "backend": "basic",
            "burst_to_cloud": True,
            "cloud_task_queue": f"cloud-{uuid.uuid4().hex[:8]}",
            "vision_base_url": openai_fake.base_url,
            "vision_model": "fake-model",
        }
    )
    seen: list[AnalysisProgress] = []

    async def scenario() -> dict[str, Any]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        async with (
            running_workers(client, settings, Queue.ALL),
            running_workers(client, settings, Queue.CLOUD),
        ):
            store, session_id, handle = await submit(client, settings, text_clip.path)
            await follow(handle, seen.append)
        return store.get(session_id)

    document = asyncio.run(scenario())

    assert document["status"] == "completed"
    routing = document["routing"]
    assert routing["batches_cloud"] > 0
    assert routing["batches_local"] > 0
    assert routing["batches_cloud"] + routing["batches_local"] == 9  # 18 frames, 2 per batch
    models = [frame["model"] for frame in document["frames"]]
    assert models.count("basic") == 2 * routing["batches_local"]
    cloud_frames = [f for f in document["frames"] if f["model"] != "basic"]
    assert len(cloud_frames) == 2 * routing["batches_cloud"]
    assert all("fake-model" in f["model"] for f in cloud_frames)
    assert len(openai_fake.requests("chat")) >= routing["batches_cloud"]
    assert any(p.bursting or p.batches_cloud for p in seen)
