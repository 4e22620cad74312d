"""``videolens worker``: serve task queues until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

from videolens.cli.errors import stderr
from videolens.config import Settings
from videolens.pipeline.temporal_server import client_address, temporal_client
from videolens.pipeline.worker import Queue, running_workers


async def serve_worker(settings: Settings, queue: Queue, concurrency: int | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with (
        temporal_client(settings) as client,
        running_workers(
            client,
            settings,
            queue,
            concurrency,
            shutdown_grace=timedelta(seconds=settings.worker_shutdown_grace_s),
        ),
    ):
        where = client_address(client) + ("" if settings.temporal_address else " (embedded)")
        stderr.print(f"worker serving {queue.value} queue(s) on {where}; Ctrl-C to stop")
        await stop.wait()
    stderr.print("worker stopped")
