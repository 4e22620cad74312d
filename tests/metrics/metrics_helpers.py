"""Helpers for the metrics tests: a live API, scraping /metrics, running workers with metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client

from live_server import LiveServer, serving
from videolens.config import Settings
from videolens.metrics.worker_metrics import WorkerMetrics, serve_worker_metrics
from videolens.pipeline.worker import Queue, running_workers

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def live_api(
    settings: Settings, *, run_workers: bool = False
) -> AbstractContextManager[LiveServer]:
    """The real app on a free port until the block exits; without workers unless asked."""
    return serving(settings, run_workers=run_workers)


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


@asynccontextmanager
async def metered_workers(
    client: Client, settings: Settings, queue: Queue
) -> AsyncIterator[tuple[WorkerMetrics, int]]:
    """Workers for ``queue`` with their metrics served on a free port: yields (metrics, port)."""
    metrics = WorkerMetrics()
    async with running_workers(client, settings, queue, metrics=metrics):
        with serve_worker_metrics(metrics, 0, host="127.0.0.1") as port:
            yield metrics, port
