"""Helpers of the stream tests: a stream workflow watched under in-process workers, reading a
stream's store; waiting with a deadline and serving the real API come from ``polling`` and
``live_server``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowHandle

from live_server import serving
from polling import poll, temporal_client, wait_async, wait_for
from videolens.config import Settings
from videolens.pipeline.stream_client import (
    StreamRequest,
    create_stream,
    request_stop,
    start_stream,
)
from videolens.pipeline.worker import running_workers
from videolens.streams.store import StreamStore
from videolens.timeline.model import Moment

# The stream tests import these from here.
__all__ = [
    "frames_with_word",
    "jpegs",
    "poll",
    "sent_and_watched",
    "serving",
    "store_of",
    "wait_async",
    "wait_for",
]


def store_of(settings: Settings) -> StreamStore:
    return StreamStore(settings.streams_dir)


def frames_with_word(store: StreamStore, stream_id: str, word: str) -> list[Moment]:
    return [f for f in store.moments(stream_id) if word in f.text]


def jpegs(settings: Settings, stream_id: str) -> list[Path]:
    return sorted((settings.streams_dir / stream_id / "frames").glob("*.jpg"))


@dataclass
class WatchedStream:
    """A stream workflow started on the dev server, with the client that started it."""

    client: Client
    stream_id: str
    handle: WorkflowHandle[Any, Any]

    async def stop(self, timeout_s: float = 30) -> Any:
        """Ask the stream to stop; its workflow's result (the summary) once it has."""
        await request_stop(self.client, self.stream_id)
        return await asyncio.wait_for(self.handle.result(), timeout_s)


@asynccontextmanager
async def watched_stream(
    settings: Settings, request: StreamRequest, client: Client | None = None
) -> AsyncIterator[WatchedStream]:
    """In-process workers for ``settings`` and the stream of ``request`` started under them, until
    the block exits; ``client`` connects to ``settings.temporal_address`` unless given."""
    if client is None:
        assert settings.temporal_address
        client = await temporal_client(settings.temporal_address)
    async with running_workers(client, settings):
        document, config = create_stream(settings, request)
        handle = await start_stream(client, config)
        yield WatchedStream(client, document.stream_id, handle)


SenderT = TypeVar("SenderT")


@asynccontextmanager
async def sent_and_watched(
    settings: Settings, sending: AbstractContextManager[tuple[SenderT, str]], **request: Any
) -> AsyncIterator[tuple[SenderT, WatchedStream]]:
    """The source ``sending`` starts (it yields its sender and the URL it sends to) watched as
    ``watched_stream`` does, with ``request`` the rest of the ``StreamRequest``; the stream's
    workers stop before the sender does."""
    with sending as (sender, url):
        async with watched_stream(settings, StreamRequest(url=url, **request)) as stream:
            yield sender, stream
