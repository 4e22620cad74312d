"""Waiting with a deadline, for every test directory: call a check until it returns something
truthy, or fail with what was awaited. Tests never sleep a fixed time to wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.client import Client

T = TypeVar("T")
INTERVAL_S = 0.1


def _timed_out(deadline_s: float, what: str) -> AssertionError:
    return AssertionError(f"timed out after {deadline_s} s waiting for {what}")


def poll(check: Callable[[], T | None], deadline_s: float, what: str) -> T:
    """Call ``check`` until it returns something truthy, or fail after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise _timed_out(deadline_s, what)
        time.sleep(INTERVAL_S)


async def wait_for(check: Callable[[], T | None], deadline_s: float, what: str) -> T:
    """``poll`` inside a coroutine for a plain, cheap ``check``: the loop runs between calls."""

    async def call() -> T | None:
        return check()

    return await wait_async(call, deadline_s, what)


async def apoll(check: Callable[[], T | None], deadline_s: float, what: str) -> T:
    """``poll`` for async tests with a blocking ``check``: it runs in a thread, so the loop keeps
    serving."""
    return await wait_async(lambda: asyncio.to_thread(check), deadline_s, what)


async def wait_async(check: Callable[[], Awaitable[T | None]], deadline_s: float, what: str) -> T:
    """Await ``check`` until it returns something truthy, or fail after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise _timed_out(deadline_s, what)
        await asyncio.sleep(INTERVAL_S)


async def temporal_client(address: str, deadline_s: float = 30.0) -> Client:
    """A client of the Temporal server at ``address`` once its frontend serves: a dev server
    just started (or restarted) listens before it is healthy, and a loaded machine widens that."""

    async def attempt() -> Client | None:
        try:
            return await Client.connect(address)
        except RuntimeError:  # "Frontend is not healthy yet", or the connection refused
            return None

    return await wait_async(attempt, deadline_s, f"the Temporal server at {address}")
