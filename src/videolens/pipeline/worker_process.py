"""``videolens up``'s workers in a process of their own, started and watched by the API process.

Run in the API's process, analyses (Python between their C calls: sampling, stitching, the
describe step) held the interpreter lock that the API's event loop needs for every step of every
request, and GETs waited behind them (issue 22). The child runs the same ``running_workers`` as
``videolens worker`` (``worker_child.py``); this side starts it once Temporal answers, starts it
again when it dies, stops it before Temporal is left, and shows its metrics on the API's
``/metrics`` through ``RelayedMetrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import anyio
import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from pydantic import SecretStr
from pydantic_core import to_jsonable_python

from videolens.config import Settings
from videolens.pipeline.dev_server import free_port
from videolens.pipeline.worker import EMBEDDED_SHUTDOWN_GRACE

logger = logging.getLogger(__name__)

CHILD_MODULE = "videolens.pipeline.worker_child"
WATCH_INTERVAL_S = 0.5
# Waits before starting a worker that died again; back to the first once one has lived a minute.
RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)
STABLE_AFTER_S = 60.0
# SIGTERM lets running activities finish for the shutdown grace, then the SDK winds down.
STOP_DEADLINE_S = EMBEDDED_SHUTDOWN_GRACE.total_seconds() + 15.0
SCRAPE_TIMEOUT_S = 2.0


def settings_payload(settings: Settings) -> str:
    """``settings`` as JSON the child validates back into the same ``Settings``, secrets included
    (they travel through a pipe, never the command line or the environment)."""
    values = {
        name: value.get_secret_value() if isinstance(value, SecretStr) else value
        for name in type(settings).model_fields
        for value in [getattr(settings, name)]
    }
    return json.dumps(to_jsonable_python(values))


class RelayedMetrics(Collector):
    """The child worker's metrics, read from its loopback port at each scrape of the API's
    ``/metrics`` (nothing while it starts or restarts)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def describe(self) -> Iterable[Metric]:
        return []  # unknown until the child answers; registering must not scrape

    def collect(self) -> Iterable[Metric]:
        try:
            text = httpx.get(self.url, timeout=SCRAPE_TIMEOUT_S).raise_for_status().text
        except httpx.HTTPError:
            return []
        return list(text_string_to_metric_families(text))


class WorkerProcess:
    """One supervised child running every task queue's workers against ``settings``' Temporal."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics_port = free_port()
        self.metrics = RelayedMetrics(f"http://127.0.0.1:{self.metrics_port}/metrics")
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0

    @property
    def pid(self) -> int | None:
        """The running child's process id, None between a death and its restart."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the child for the block (enter it once Temporal answers); stopped on leaving."""
        self._start()
        watcher = asyncio.create_task(self._watch())
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await anyio.to_thread.run_sync(self._stop)

    def _start(self) -> int:
        # Started from the event loop's (main) thread: the child asks to be sent SIGTERM when
        # the thread that started it ends, which must be this process's life, not a pool thread's.
        command = [sys.executable, "-m", CHILD_MODULE, str(os.getpid()), str(self.metrics_port)]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            # Its log lines go where ours go (the terminal); its own session keeps the terminal's
            # Ctrl-C from reaching it before we stop it in order (the worker before Temporal).
            start_new_session=True,
        )
        assert process.stdin is not None
        with process.stdin:
            process.stdin.write(settings_payload(self.settings).encode())
        self._process, self._started_at = process, time.monotonic()
        return process.pid

    async def _watch(self) -> None:
        failures = 0
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            process = self._process
            assert process is not None
            status = process.poll()
            if status is None:
                if time.monotonic() - self._started_at > STABLE_AFTER_S:
                    failures = 0
                continue
            delay = RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S) - 1)]
            failures += 1
            logger.error(
                "the worker process (pid %d) exited with status %d; starting another in %.0f s",
                process.pid, status, delay,
            )  # fmt: skip
            await asyncio.sleep(delay)
            logger.warning("worker process restarted (pid %d)", self._start())

    def _stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            logger.warning("the worker process (pid %d) did not stop; killed", process.pid)
            process.kill()
            process.wait()
