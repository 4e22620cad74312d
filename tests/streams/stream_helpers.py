"""Helpers of the stream tests: waiting with a deadline, reading a stream's store, serving the
real API."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn

from videolens.api import create_app
from videolens.config import Settings
from videolens.pipeline.temporal_server import free_port
from videolens.streams.store import StreamStore

T = TypeVar("T")


def store_of(settings: Settings) -> StreamStore:
    return StreamStore(settings.streams_dir)


async def wait_for(check: Callable[[], T | None], deadline_s: float, what: str) -> T:
    """Call ``check`` (plain, cheap) until it returns something truthy, or fail."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")


async def wait_async(check: Callable[[], Awaitable[T | None]], deadline_s: float, what: str) -> T:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")


def frames_with_word(store: StreamStore, stream_id: str, word: str) -> list[dict[str, Any]]:
    return [f for f in store.frames(stream_id) if word in (f.get("text") or [])]


def jpegs(settings: Settings, stream_id: str) -> list[Path]:
    return sorted((settings.streams_dir / stream_id / "frames").glob("*.jpg"))


@dataclass
class LiveApi:
    url: str
    ws_url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)


@contextmanager
def serving(settings: Settings) -> Iterator[LiveApi]:
    """The real app (with in-process workers) on a free port until the block exits."""
    port = free_port()
    settings = settings.model_copy(update={"api_host": "127.0.0.1", "api_port": port})
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, run_workers=True),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the API server did not start")
        time.sleep(0.05)
    try:
        yield LiveApi(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(30)


def poll(check: Callable[[], T | None], deadline_s: float, what: str) -> T:
    """Call ``check`` until it returns something truthy, or fail after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
