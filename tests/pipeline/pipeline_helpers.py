"""Helpers for the pipeline tests: run one analysis against the real dev server."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import Client

from videolens.config import Settings
from videolens.pipeline.client import analysis_input, start_analysis
from videolens.store import SessionStore

T = TypeVar("T")


async def submit(client: Client, settings: Settings, video: Path) -> tuple[SessionStore, str, Any]:
    """Create a session for ``video`` and start its workflow; returns (store, id, handle)."""
    store = SessionStore(settings.sessions_dir)
    session_id = store.new_session_id()
    store.create(str(video), {}, session_id=session_id)
    request = analysis_input(settings, session_id, str(video), str(store.frames_dir(session_id)))
    handle = await start_analysis(client, request)
    return store, session_id, handle


async def poll_until(check: Callable[[], Awaitable[T | None]], deadline_s: float, what: str) -> T:
    """Await ``check`` until it returns something truthy, or fail after ``deadline_s``."""
    import asyncio

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
