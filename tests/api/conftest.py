"""The API tests' fixtures: a live API server against the session's real Temporal dev server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from live_server import LiveServer, serving
from polling import poll
from videolens.config import Settings
from videolens.video.synthetic import ClipSpec, Shot, write_clip

# The API tests import these from here.
__all__ = ["LiveServer", "leftovers", "poll", "serving", "upload"]


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


def upload(
    client: httpx.Client, path: Path, filename: str | None = None, **fields: str
) -> httpx.Response:
    with path.open("rb") as handle:
        return client.post(
            "/v1/videos",
            files={"file": (filename or path.name, handle, "application/octet-stream")},
            data=fields,
        )
