"""The API's metrics, served at ``GET /metrics`` (``api/routes/metrics.py``): requests by
route and status, uploads, and the deployment's figures (sessions by status, task queue backlog
and pollers) read at scrape time.

Requests are labelled by their route's template (``/v1/sessions/{session_id}``), never the raw
path, so a label's values stay few whatever ids or scans arrive.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import anyio
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client

from videolens.config import Settings
from videolens.metrics.collect import Figures, FiguresCache
from videolens.metrics.worker_metrics import WorkerMetrics, exposed_names
from videolens.pipeline.temporal_server import client_address
from videolens.store import SessionStore

REQUEST_DURATION = "videolens_http_request_duration_seconds"
UPLOADS = "videolens_uploads_total"
UPLOAD_BYTES = "videolens_upload_bytes_total"
SESSIONS = "videolens_sessions"
STREAMS = "videolens_streams"
QUEUE_BACKLOG = "videolens_task_queue_backlog"
QUEUE_BACKLOG_AGE = "videolens_task_queue_backlog_age_seconds"
QUEUE_POLLERS = "videolens_task_queue_pollers"
TEMPORAL_UP = "videolens_temporal_up"

UPLOAD_ROUTE = ("POST", "/v1/videos")
UNMATCHED = "unmatched"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Uploads of gigabytes take minutes; the rest answer in milliseconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)


class FiguresCollector(Collector):
    """Gauges of the latest ``Figures`` (sessions, queues, Temporal reachable) at each scrape."""

    def __init__(self) -> None:
        self.latest: Figures | None = None

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return self._families(None)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return self._families(self.latest)

    @staticmethod
    def _families(figures: Figures | None) -> list[GaugeMetricFamily]:
        queue_labels = ["task_queue", "role", "kind"]
        sessions = GaugeMetricFamily(
            SESSIONS, "Sessions in the store by status.", labels=["status"]
        )
        backlog = GaugeMetricFamily(
            QUEUE_BACKLOG, "Tasks waiting for a worker (Temporal's estimate).", labels=queue_labels
        )
        age = GaugeMetricFamily(
            QUEUE_BACKLOG_AGE, "Seconds the oldest waiting task has waited.", labels=queue_labels
        )
        pollers = GaugeMetricFamily(
            QUEUE_POLLERS, "Workers polling the queue recently.", labels=queue_labels
        )
        up = GaugeMetricFamily(TEMPORAL_UP, "1 when Temporal answered the last DescribeTaskQueue.")
        streams = GaugeMetricFamily(STREAMS, "Live streams by status.", labels=["status"])
        if figures is not None:
            for status, count in figures.sessions.items():
                sessions.add_metric([status], count)
            for status, count in figures.streams.items():
                streams.add_metric([status], count)
            for queue in figures.queues:
                values = [queue.task_queue, queue.role, queue.kind]
                backlog.add_metric(values, queue.backlog)
                age.add_metric(values, queue.backlog_age_s)
                pollers.add_metric(values, queue.pollers)
            up.add_metric([], 1 if figures.temporal_reachable else 0)
        return [sessions, streams, backlog, age, pollers, up]


class ApiMetrics:
    """The API process's registry: request and upload metrics, the figures' gauges, and the
    workers' metrics when they run in this process (``videolens up``)."""

    def __init__(self, *, with_workers: bool = False) -> None:
        self.registry = CollectorRegistry()
        self.request_duration = Histogram(
            REQUEST_DURATION,
            "Seconds from request to the end of the response, by route template and status.",
            ["method", "route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.uploads = Counter(
            UPLOADS, "Video uploads (POST /v1/videos) by response status.", ["status"],
            registry=self.registry,
        )  # fmt: skip
        self.upload_bytes = Counter(
            UPLOAD_BYTES, "Bytes of upload request bodies received, whatever the outcome.",
            registry=self.registry,
        )  # fmt: skip
        self.figures = FiguresCollector()
        self.registry.register(self.figures)
        self.worker = WorkerMetrics(self.registry) if with_workers else None
        self._cache: FiguresCache | None = None

    def metric_names(self) -> set[str]:
        """Every series name /metrics may expose (the workers' too, with ``with_workers``)."""
        own = (self.request_duration, self.uploads, self.upload_bytes)
        families = [family for metric in own for family in metric.describe()]
        names = exposed_names([*families, *self.figures.describe()])
        return names | (self.worker.metric_names() if self.worker else set())

    def observe(self, method: str, route: str, status: int, seconds: float, received: int) -> None:
        """Record one finished HTTP request (an unknown method is labelled ``other``)."""
        method = method if method in HTTP_METHODS else "other"
        self.request_duration.labels(method, route, str(status)).observe(seconds)
        if (method, route) == UPLOAD_ROUTE:
            self.uploads.labels(str(status)).inc()
            self.upload_bytes.inc(received)

    async def exposition(self, settings: Settings, store: SessionStore, client: Client) -> bytes:
        """The text format for a scrape, with the figures brought up to date (cached)."""
        if self._cache is None:
            self._cache = FiguresCache(settings, store, client, client_address(client))
        self.figures.latest = await self._cache.get()
        return await anyio.to_thread.run_sync(generate_latest, self.registry)


class RequestMetricsMiddleware:
    """Pure ASGI middleware: times every HTTP request and counts upload bytes as they arrive."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # WebSockets live for a whole analysis: not a latency
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started ends as a 500
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def status_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, counting_receive, status_send)
        finally:
            self.metrics.observe(
                scope["method"],
                route_label(scope),
                status,
                time.perf_counter() - started,
                received,
            )


def route_label(scope: Scope) -> str:
    """The matched route's template (a mount's: its prefix + ``/{path}``), else ``unmatched``.

    The router records the route it matched in the scope it shares with this middleware;
    mounts (the web UI at ``/``) are not recorded, so they are matched here again.
    """
    route = scope.get("route") or _matching_mount(scope)
    template = getattr(route, "path_format", None)
    return str(template) if template else UNMATCHED


def _matching_mount(scope: Scope) -> Mount | None:
    for route in getattr(scope.get("app"), "routes", []):
        if isinstance(route, Mount) and route.matches(scope)[0] is Match.FULL:
            return route
    return None
