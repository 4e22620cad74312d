"""Helpers the API tests share: uploading a file and listing what an upload left on disk."""

from __future__ import annotations

from pathlib import Path

import httpx


def leftovers(data_dir: Path) -> list[Path]:
    """Files an upload may have left: staged parts and session folders."""
    found = list((data_dir / "uploads").glob("*")) if (data_dir / "uploads").is_dir() else []
    sessions = data_dir / "sessions"
    return found + (list(sessions.glob("*")) if sessions.is_dir() else [])


def upload(
    client: httpx.Client, path: Path, filename: str | None = None, **fields: str
) -> httpx.Response:
    """POST ``path`` to /v1/videos as a multipart upload, with any extra form ``fields``."""
    with path.open("rb") as handle:
        return client.post(
            "/v1/videos",
            files={"file": (filename or path.name, handle, "application/octet-stream")},
            data=fields,
        )
