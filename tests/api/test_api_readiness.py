"""``/readyz``'s Temporal check against a real dev server that the test stops: a failed check
counts as "not ready" only once Temporal has stayed silent for the grace period."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from temporalio.client import Client

from videolens.api.readiness import GRACE_S, TemporalHealth
from videolens.pipeline.temporal_server import (
    free_port,
    start_dev_server,
    stop_dev_server,
    wait_until_listening,
)


def test_a_failed_check_within_the_grace_is_not_an_outage(tmp_path: Path) -> None:
    port = free_port()
    server = start_dev_server(port, tmp_path / "temporal.log")
    try:
        wait_until_listening(port)

        async def scenario() -> tuple[bool, bool, bool, bool]:
            client = await Client.connect(f"127.0.0.1:{port}")
            health = TemporalHealth()
            up = await health.reachable(client)
            stop_dev_server(server)
            just_stopped = await health.reachable(client)
            assert health.last_answer is not None
            health.last_answer = time.monotonic() - GRACE_S - 1  # as if silent since then
            long_silent = await health.reachable(client)
            never_answered = await TemporalHealth().reachable(client)
            return up, just_stopped, long_silent, never_answered

        up, just_stopped, long_silent, never_answered = asyncio.run(scenario())
    finally:
        stop_dev_server(server)
    assert up and just_stopped
    assert not long_silent and not never_answered
