"""``videolens worker``: serve task queues until SIGINT/SIGTERM, with Prometheus metrics
(registered on the main app in ``cli/app.py``, imported when it runs)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from rich.text import Text

from videolens.cli.errors import stderr, user_errors
from videolens.cli.options import setting_default
from videolens.config import Settings
from videolens.errors import ConfigurationError
from videolens.metrics.worker_metrics import (
    WorkerMetrics,
    check_metrics_port_free,
    serve_worker_metrics,
)
from videolens.pipeline.temporal_server import client_address, temporal_client
from videolens.pipeline.worker import Queue, running_workers


def worker(
    queue: Annotated[
        Queue,
        typer.Option(
            metavar="[" + "|".join(q.value for q in Queue) + "]",
            help="Which task queue(s) to serve.",
        ),
    ] = Queue.ALL,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, metavar="N", help="Most activities at once.  [default: 2 cpu, 1 vision]"
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            metavar="PORT",
            help="Serve Prometheus metrics at :PORT/metrics; 0: none. Two workers on one host "
            "need two ports." + setting_default("worker_metrics_port"),
        ),
    ] = None,
) -> None:
    """Run a worker until interrupted.

    It serves the cluster in VIDEOLENS_TEMPORAL_ADDRESS; without one, this data dir's embedded
    Temporal server, started when none runs."""
    with user_errors():
        settings = (
            Settings() if metrics_port is None else Settings(worker_metrics_port=metrics_port)
        )
        asyncio.run(serve_worker(settings, queue, concurrency))


async def serve_worker(settings: Settings, queue: Queue, concurrency: int | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if settings.worker_metrics_port and "worker_metrics_port" in settings.model_fields_set:
        # A port chosen explicitly that is taken is a configuration error: say so before
        # connecting, not after the workers have started polling.
        check_metrics_port_free(settings.worker_metrics_port)
    metrics = WorkerMetrics()
    async with (
        temporal_client(settings) as client,
        running_workers(
            client,
            settings,
            queue,
            concurrency,
            shutdown_grace=timedelta(seconds=settings.worker_shutdown_grace_s),
            metrics=metrics,
        ),
    ):
        # Served once the workers poll, so a reachable port also says the worker is ready.
        with _metrics_served(settings, metrics) as metrics_note:
            where = client_address(client) + ("" if settings.temporal_address else " (embedded)")
            stderr.print(
                Text(f"worker serving {queue.value} queue(s) on {where}; {metrics_note}"),
                soft_wrap=True,
            )
            await stop.wait()
    stderr.print("worker stopped")


@contextmanager
def _metrics_served(settings: Settings, metrics: WorkerMetrics) -> Iterator[str]:
    """Serve the worker's metrics on ``worker_metrics_port``; yields a note for the banner.

    A port chosen explicitly (option or environment) that is taken is an error; the default
    port taken (a second worker on this host, node_exporter) only turns metrics off, with a
    warning, so that a worker started without thought for ports still works.
    """
    port = settings.worker_metrics_port
    if port == 0:
        yield "no metrics (port 0); Ctrl-C to stop"
        return
    with contextlib.ExitStack() as stack:
        try:
            served = stack.enter_context(serve_worker_metrics(metrics, port))
        except ConfigurationError as err:
            if "worker_metrics_port" in settings.model_fields_set:
                raise
            stderr.print(Text(f"warning: {err}; serving no metrics"), soft_wrap=True)
            yield "no metrics; Ctrl-C to stop"
            return
        yield f"metrics on :{served}/metrics; Ctrl-C to stop"
