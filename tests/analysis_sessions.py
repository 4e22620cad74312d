"""One analysis workflow against the real dev server: started as the API would, or run to its
end under in-process workers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from temporalio.client import Client

from videolens.config import Settings
from videolens.pipeline.client import analysis_input, start_analysis
from videolens.pipeline.worker import running_workers
from videolens.store import SessionStore


async def submit(client: Client, settings: Settings, video: Path) -> tuple[SessionStore, str, Any]:
    """Create a session for ``video`` and start its workflow; returns (store, id, handle)."""
    store = SessionStore(settings.sessions_dir)
    session_id = store.new_session_id()
    store.create(str(video), {}, session_id=session_id)
    request = analysis_input(settings, session_id, str(video), str(store.frames_dir(session_id)))
    return store, session_id, await start_analysis(client, request)


def analyse(settings: Settings, video: Path) -> dict[str, Any]:
    """Analyse ``video`` to its end under in-process workers; the stored session document."""

    async def scenario() -> dict[str, Any]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        async with running_workers(client, settings):
            store, session_id, handle = await submit(client, settings, video)
            await handle.result()
        return store.get(session_id)

    return asyncio.run(scenario())
