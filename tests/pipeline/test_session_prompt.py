"""A session's own prompt reaches the vision model through the workflow."""

from __future__ import annotations

import asyncio
import json

from temporalio.client import Client

from analysis_sessions import submit
from openai_fake import OpenAIFake
from videolens.config import Settings
from videolens.pipeline.worker import running_workers
from videolens.video.synthetic import ClipSpec


def test_the_session_prompt_is_sent_with_every_batch(
    settings: Settings, text_clip: ClipSpec, openai_fake: OpenAIFake
) -> None:
    # The workers are configured with their own prompt; the session's one must win.
    worker_settings = openai_fake.vision_settings(
        settings, vision_prompt="WORKER DEFAULT PROMPT for {count} frames"
    )
    session_settings = worker_settings.model_copy(
        update={"vision_prompt": "List every vehicle in these {count} frames"}
    )

    async def scenario() -> None:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        async with running_workers(client, worker_settings):
            _, _, handle = await submit(client, session_settings, text_clip.path)
            await handle.result()

    asyncio.run(scenario())
    sent = [json.dumps(r) for r in openai_fake.requests("chat")]
    vision_requests = [r for r in sent if "image_url" in r]
    assert vision_requests
    assert all("List every vehicle" in r for r in vision_requests)
    assert not any("WORKER DEFAULT PROMPT" in r for r in vision_requests)
