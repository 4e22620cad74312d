"""A live API server (uvicorn in a thread) against the session's real Temporal dev server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from videolens.api import create_app
from videolens.config import Settings
from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import ClipSpec, Shot, write_clip


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
    """Run the real app on a free port, with in-process workers, until the block exits."""
    port = free_port()
    settings = settings.model_copy(update={"api_host": "127.0.0.1", "api_port": port})
    app = create_app(settings, run_workers=run_workers)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the API server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture
def api(settings: Settings) -> Iterator[LiveServer]:
    with serving(settings) as live:
        yield live


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    """40 s of two static shots: long enough to cancel or delete mid-analysis."""
    return write_clip(
        tmp_path_factory.mktemp("long") / "long.mp4",
        [Shot(20.0, (20, 20, 20), "WAIT"), Shot(20.0, (90, 0, 0), "")],
    )


def leftovers(data_dir: Path) -> list[Path]:
    """Files an upload may have left: staged parts and session folders."""
    found = list((data_dir / "uploads").glob("*")) if (data_dir / "uploads").is_dir() else []
    sessions = data_dir / "sessions"
    return found + (list(sessions.glob("*")) if sessions.is_dir() else [])


def poll(check: Any, deadline_s: float, what: str) -> Any:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")


def upload(
    client: httpx.Client, path: Path, filename: str | None = None, **fields: str
) -> httpx.Response:
    with path.open("rb") as handle:
        return client.post(
            "/v1/videos",
            files={"file": (filename or path.name, handle, "application/octet-stream")},
            data=fields,
        )
