"""``collect_metrics()``: the deployment's figures now, with the alerts they raise.

One snapshot serves two readers: ``videolens status`` prints it for a person, and the API's
/metrics exposes it as gauges for Prometheus. A snapshot can only judge what one moment shows
(no poller on a queue, a backlog whose oldest task has waited for minutes, a GPU nearly full);
rates over time (batch failures, API 5xx) need Prometheus and its rules in
``deploy/prometheus/alerts.yml``, whose alert names these share.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from videolens.config import Settings
from videolens.metrics.gpu import GpuFigures, read_gpus
from videolens.store import SessionStatus, SessionStore
from videolens.streams.store import StreamStore

if TYPE_CHECKING:  # the Temporal SDK is imported only when Temporal is asked (`videolens status`)
    from temporalio.client import Client

    from videolens.metrics.queues import QueueFigures

# A backlog whose oldest task has waited this long is not being drained: the Prometheus rule
# fires on a backlog growing for 10 minutes; a snapshot sees the age of the oldest task.
BACKLOG_AGE_ALERT_S = 600.0
GPU_MEMORY_ALERT_RATIO = 0.95


@dataclass
class Alert:
    """A condition worth a person's attention; ``name`` matches the Prometheus rule's."""

    name: str
    severity: str  # warning or critical
    message: str


@dataclass
class Figures:
    """The deployment's figures at ``collected_at`` (seconds since the epoch)."""

    temporal: str  # where Temporal is, or why it is not asked
    temporal_reachable: bool
    queues: list[QueueFigures]
    sessions: dict[str, int]  # sessions by status, every status present
    running: list[dict[str, Any]]  # the running sessions' summaries, newest first
    gpus: list[GpuFigures]
    collected_at: float
    temporal_error: str = ""
    alerts: list[Alert] = field(default_factory=list)
    streams: dict[str, int] = field(default_factory=dict)  # live streams by status
    active_streams: list[dict[str, Any]] = field(default_factory=list)  # not stopped or failed


async def collect_metrics(
    settings: Settings,
    store: SessionStore,
    client: Client | None,
    *,
    temporal: str,
    read_gpu: bool = False,
    connect_error: str = "",
) -> Figures:
    """Figures and alerts now.

    ``client`` None: Temporal is not asked; ``temporal`` says why, or ``connect_error`` says
    why it could not be reached. ``read_gpu`` reads this host's GPUs (the status command; the
    API's host is not where the models run).
    """
    queues: list[QueueFigures] = []
    error = connect_error
    if client is not None:
        from videolens.metrics.queues import describe_queues

        try:
            queues = await describe_queues(client, settings)
        except Exception as err:  # any failure of the RPC means: not reachable now
            error = _one_line(err)
    summaries = await anyio.to_thread.run_sync(store.list_sessions)
    counts = {status.value: 0 for status in SessionStatus}
    for summary in summaries:
        counts[summary.status] = counts.get(summary.status, 0) + 1
    figures = Figures(
        temporal=temporal,
        temporal_reachable=client is not None and not error,
        queues=queues,
        sessions=counts,
        running=[s.as_json() for s in summaries if s.status == SessionStatus.RUNNING.value],
        gpus=await anyio.to_thread.run_sync(read_gpus) if read_gpu else [],
        collected_at=time.time(),
        temporal_error=error,
    )
    figures.streams, figures.active_streams = await anyio.to_thread.run_sync(
        _stream_figures, StreamStore(settings.streams_dir)
    )
    figures.alerts = evaluate_alerts(figures, asked_temporal=client is not None or bool(error))
    return figures


def _stream_figures(store: StreamStore) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Live streams by status, and a short summary of each one still running."""
    counts: dict[str, int] = {}
    active: list[dict[str, Any]] = []
    for document in store.list_streams():
        status = document.status
        counts[status] = counts.get(status, 0) + 1
        if status not in ("stopped", "failed"):
            # JSON for ``videolens status`` (which prints these as they are).
            fields = ("stream_id", "name", "url", "status", "frames_total", "last_frame_at")
            active.append({name: getattr(document, name) for name in fields})
    order = ("live", "connecting", "reconnecting", "starting", "stopped", "failed")
    ranked = sorted(counts, key=lambda status: order.index(status) if status in order else 99)
    return {status: counts[status] for status in ranked}, active


def evaluate_alerts(figures: Figures, *, asked_temporal: bool = True) -> list[Alert]:
    """The alerts a snapshot can judge, most severe first."""
    alerts: list[Alert] = []
    if asked_temporal and not figures.temporal_reachable:
        alerts.append(
            Alert(
                "VideolensTemporalUnreachable",
                "critical",
                f"Temporal at {figures.temporal} does not answer: {figures.temporal_error}",
            )
        )
    for queue in figures.queues:
        if queue.pollers == 0:
            alerts.append(
                Alert(
                    "VideolensNoPoller",
                    "critical",
                    f"no worker polls the {queue.role} queue {queue.task_queue} ({queue.kind} "
                    f"tasks): start `videolens worker --queue {queue.role}`",
                )
            )
        if queue.backlog > 0 and queue.backlog_age_s >= BACKLOG_AGE_ALERT_S:
            alerts.append(
                Alert(
                    "VideolensBacklogGrowing",
                    "warning",
                    f"{queue.backlog} {queue.kind} tasks wait on {queue.task_queue}, the oldest "
                    f"for {queue.backlog_age_s / 60:.0f} min: add workers",
                )
            )
    for gpu in figures.gpus:
        if gpu.memory_used_ratio >= GPU_MEMORY_ALERT_RATIO:
            alerts.append(
                Alert(
                    "VideolensGpuMemoryNearFull",
                    "warning",
                    f"GPU {gpu.index} ({gpu.name}) memory is {gpu.memory_used_ratio:.0%} full",
                )
            )
    return sorted(alerts, key=lambda alert: alert.severity != "critical")


class FiguresCache:
    """``collect_metrics`` at most once per ``ttl_s``; concurrent callers share one collection."""

    def __init__(
        self, settings: Settings, store: SessionStore, client: Client, temporal: str
    ) -> None:
        self._settings = settings
        self._store = store
        self._client = client
        self._temporal = temporal
        self._lock = asyncio.Lock()
        self.latest: Figures | None = None

    async def get(self) -> Figures:
        """The latest figures, collected again when older than ``metrics_cache_s``."""
        async with self._lock:
            latest = self.latest
            if latest is None or time.time() - latest.collected_at >= self._ttl_s:
                latest = await collect_metrics(
                    self._settings, self._store, self._client, temporal=self._temporal
                )
                self.latest = latest
            return latest

    @property
    def _ttl_s(self) -> float:
        return self._settings.metrics_cache_s


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:200]
