"""Helpers for the metrics tests: a live API, scraping /metrics, running workers with metrics."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client

from videolens.api import create_app
from videolens.config import Settings
from videolens.metrics.worker_metrics import WorkerMetrics, serve_worker_metrics
from videolens.pipeline.client import analysis_input, start_analysis
from videolens.pipeline.temporal_server import free_port
from videolens.pipeline.worker import Queue, running_workers
from videolens.store import SessionStore

T = TypeVar("T")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class LiveApi:
    url: str
    settings: Settings


@contextmanager
def live_api(settings: Settings, *, run_workers: bool = False) -> Iterator[LiveApi]:
    """The real app under uvicorn on a free port, in a thread, until the block exits."""
    port = free_port()
    settings = settings.model_copy(update={"api_host": "127.0.0.1", "api_port": port})
    app = create_app(settings, run_workers=run_workers)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    poll(lambda: server.started or not thread.is_alive(), 60, "the API to start")
    assert server.started, "the API server did not start"
    try:
        yield LiveApi(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(30)


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition: (name, labels) → value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str, **kwargs: Any) -> Samples:
    response = httpx.get(url, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return parse(response.text)


def value(samples: Samples, name: str, /, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 when there are none)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


def series(samples: Samples, name: str) -> list[dict[str, str]]:
    """The label sets of ``name``'s samples."""
    return [dict(labels) for (n, labels) in samples if n == name]


def poll(check: Callable[[], T], deadline_s: float, what: str) -> T:
    """Call ``check`` until it returns something truthy, or fail after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
        time.sleep(0.1)


async def apoll(check: Callable[[], T], deadline_s: float, what: str) -> T:
    """``poll`` for async tests: ``check`` runs in a thread, so the loop keeps serving."""
    deadline = time.monotonic() + deadline_s
    while True:
        result = await asyncio.to_thread(check)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
        await asyncio.sleep(0.1)


async def await_until(check: Callable[[], Awaitable[T | None]], deadline_s: float, what: str) -> T:
    """Await ``check`` until it returns something truthy, or fail after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
        await asyncio.sleep(0.2)


@asynccontextmanager
async def metered_workers(
    client: Client, settings: Settings, queue: Queue
) -> AsyncIterator[tuple[WorkerMetrics, int]]:
    """Workers for ``queue`` with their metrics served on a free port: yields (metrics, port)."""
    metrics = WorkerMetrics()
    async with running_workers(client, settings, queue, metrics=metrics):
        with serve_worker_metrics(metrics, 0, host="127.0.0.1") as port:
            yield metrics, port


async def submit(client: Client, settings: Settings, video: Path) -> tuple[SessionStore, str, Any]:
    """Create a session for ``video`` and start its workflow; returns (store, id, handle)."""
    store = SessionStore(settings.sessions_dir)
    session_id = store.new_session_id()
    store.create(str(video), {}, session_id=session_id)
    request = analysis_input(settings, session_id, str(video), str(store.frames_dir(session_id)))
    return store, session_id, await start_analysis(client, request)
