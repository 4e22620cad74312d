"""The real API app under uvicorn, in a thread, on a free port: the one live server the API, stream,
metrics and web tests run against."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.sync.client import connect

from polling import poll
from videolens.api import create_app
from videolens.api.serving import server_options
from videolens.config import Settings
from videolens.pipeline.temporal_server import free_port


@dataclass
class LiveServer:
    url: str
    ws_url: str
    settings: Settings

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)


@contextmanager
def serving(settings: Settings, *, run_workers: bool = True) -> Iterator[LiveServer]:
    """Run the real app on a free port (with in-process workers unless told not to) until the
    block exits."""
    port = free_port()
    settings = settings.model_copy(update={"api_host": "127.0.0.1", "api_port": port})
    app = create_app(settings, run_workers=run_workers)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            **server_options(settings),
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    poll(lambda: server.started or not thread.is_alive(), 60, "the API server to start")
    assert server.started, "the API server did not start"
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(30)


def final_status(events_url: str) -> str:
    """Follow a session's event stream (no polling, so no rate limit) to its final status."""
    with connect(events_url, open_timeout=30) as socket:
        for message in socket:
            event = json.loads(message)
            if event["type"] == "final":
                return str(event["status"])
    raise AssertionError("the event stream ended without a final event")


def analysed_upload(live: LiveServer, client: httpx.Client, path: Path, filename: str) -> str:
    """Upload ``path`` as ``filename`` and follow its session to the end; its id, once it has
    completed."""
    with path.open("rb") as handle:
        response = client.post("/v1/videos", files={"file": (filename, handle)})
    assert response.status_code == 202, response.text
    session_id = str(response.json()["session_id"])
    assert final_status(f"{live.ws_url}/v1/sessions/{session_id}/events") == "completed"
    return session_id
