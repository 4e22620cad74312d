"""Heartbeats for sync activities whose single steps can outlast the heartbeat timeout.

A model load or one large batch can take longer than the heartbeat timeout; a background thread
keeps the activity alive meanwhile, carrying the latest progress details, so a retry on another
worker resumes from them. The thread runs in a copy of the activity's context (the SDK keeps the
activity context in a contextvar) and is always joined.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from temporalio import activity
from temporalio.converter import value_to_type

T = TypeVar("T")


# A quarter of the heartbeat timeout: three beats can go missing before the worker is presumed
# dead. Each beat is an RPC the server persists; on a small machine sharing cores with the
# server, beating every second cost ~10% of the wall time of an analysis.
BEATS_PER_TIMEOUT = 4
DEFAULT_INTERVAL_S = 2.0


class Heartbeater:
    """Holds the latest progress details and sends them about once per ``interval_s``."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._details: tuple[Any, ...] = ()
        self._sent_at = time.monotonic()
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def update(self, *details: Any) -> None:
        """Record progress; sent now if the last beat is an interval old, else by the thread."""
        with self._lock:
            self._details = details
        self._send_if_due()

    def _send_if_due(self) -> None:
        with self._lock:
            if time.monotonic() - self._sent_at < self.interval_s:
                return
            self._sent_at = time.monotonic()
            details = self._details
        activity.heartbeat(*details)

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_s / 2):
            self._send_if_due()

    def stop(self) -> None:
        self._stopped.set()


def heartbeat_interval() -> float:
    """The interval for the current activity, from its heartbeat timeout."""
    timeout = activity.info().heartbeat_timeout
    if timeout is None:
        return DEFAULT_INTERVAL_S
    return max(0.2, timeout.total_seconds() / BEATS_PER_TIMEOUT)


@contextmanager
def heartbeating() -> Iterator[Heartbeater]:
    """Keep the current activity alive for the body of the ``with`` block (a joined thread)."""
    beater = Heartbeater(heartbeat_interval())
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(beater._run,), daemon=True)
    thread.start()
    try:
        yield beater
    finally:
        beater.stop()
        thread.join()


def previous_detail(hint: type[T]) -> T | None:
    """The first detail of an earlier attempt's last heartbeat, as ``hint``; None on attempt 1."""
    details = activity.info().heartbeat_details
    if not details:
        return None
    value: T = value_to_type(hint, details[0])
    return value
