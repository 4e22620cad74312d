"""Heartbeats for sync activities whose single steps can outlast the heartbeat timeout.

A model load or one large batch can take longer than the heartbeat timeout; a background thread
keeps the activity alive meanwhile, carrying the latest progress details, so a retry on another
worker resumes from them. The thread runs in a copy of the activity's context (the SDK keeps the
activity context in a contextvar) and is always joined.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from temporalio import activity
from temporalio.converter import value_to_type

T = TypeVar("T")


class Heartbeater:
    """Holds the latest progress details; ``update`` sends them at once, the thread re-sends."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._details: tuple[Any, ...] = ()
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def update(self, *details: Any) -> None:
        with self._lock:
            self._details = details
        activity.heartbeat(*details)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval_s):
            with self._lock:
                details = self._details
            activity.heartbeat(*details)

    def stop(self) -> None:
        self._stopped.set()


@contextmanager
def heartbeating(interval_s: float = 2.0) -> Iterator[Heartbeater]:
    """Run a heartbeat thread for the body of the ``with`` block."""
    beater = Heartbeater(interval_s)
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
