"""The worker process that ``videolens up`` starts (``worker_process.py``): every task queue's
workers, its metrics on a loopback port, until SIGTERM; killed with the process that started it.

Run as ``python -m videolens.pipeline.worker_child PARENT_PID METRICS_PORT`` with the settings,
as JSON, on stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from videolens.config import Settings
from videolens.errors import ConfigurationError, VideoLensError
from videolens.metrics.worker_metrics import WorkerMetrics, serve_worker_metrics
from videolens.pipeline.temporal_server import client_address, temporal_client
from videolens.pipeline.worker import Queue, running_workers

logger = logging.getLogger("videolens.worker")

PARENT_CHECK_INTERVAL_S = 1.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def main() -> None:
    parent, metrics_port = int(sys.argv[1]), int(sys.argv[2])
    _stop_with_parent(parent)
    settings = Settings.model_validate(json.loads(sys.stdin.read()))
    logging.basicConfig(level=logging.WARNING, format="worker: %(levelname)s %(message)s")
    logger.setLevel(logging.INFO)
    try:
        asyncio.run(_serve(settings, parent, metrics_port))
    except VideoLensError as err:
        logger.error("%s", err)  # said once, without a traceback; the parent starts another
        sys.exit(1)
    finally:
        gc.collect()  # as ``videolens.cli.main``: the Temporal SDK's cycles freed before exit


def _stop_with_parent(parent: int) -> None:
    """Be killed when the parent dies (Linux), and leave now if it already has.

    Killed, not stopped: ``up`` killed hard takes its worker with it, as when the worker ran in
    its process, so nothing of it runs on (its Temporal server is left to the next ``up``)."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is not None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(libc_name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)


async def _serve(settings: Settings, parent: int, metrics_port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    orphaned = asyncio.create_task(_watch_parent(parent))
    metrics = WorkerMetrics()
    try:
        async with (
            temporal_client(settings) as client,
            running_workers(client, settings, Queue.ALL, metrics=metrics),
        ):
            with _metrics_served(metrics, metrics_port):
                logger.info(
                    "worker process %d serving every queue on %s",
                    os.getpid(), client_address(client),
                )  # fmt: skip
                await stop.wait()
    finally:
        orphaned.cancel()


async def _watch_parent(parent: int) -> None:
    # Where the kernel cannot signal a parent's death, notice it: the worker must not outlive up.
    while os.getppid() == parent:
        await asyncio.sleep(PARENT_CHECK_INTERVAL_S)
    os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def _metrics_served(metrics: WorkerMetrics, port: int) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(serve_worker_metrics(metrics, port, host="127.0.0.1"))
        except ConfigurationError as err:  # the port was taken since the parent chose it
            logger.warning("%s; the API's /metrics shows no worker series", err)
        yield


if __name__ == "__main__":
    main()
