"""What clients see of live streams: no server-side paths, links instead; and owner checks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from videolens.api.deps import Services
from videolens.api.errors import ApiError
from videolens.api.public import links
from videolens.api.security import LOCAL_OWNER
from videolens.pipeline.stream_shared import RUNNING_STATES, StreamProgress
from videolens.streams.errors import StreamNotFoundError
from videolens.streams.store import StreamStore

TIMELINE_FRAMES = 20
RUNNING = RUNNING_STATES


def stream_store(found: Services) -> StreamStore:
    return StreamStore(found.settings.streams_dir)


def owned_stream(found: Services, owner: str, stream_id: str) -> dict[str, Any]:
    """The stream's document if ``owner`` owns it; to anyone else it does not exist (404)."""
    try:
        document = stream_store(found).get(stream_id)
    except StreamNotFoundError as err:
        raise ApiError(404, "not_found", "no such stream") from err
    if str(document.get("owner") or LOCAL_OWNER) != owner:
        raise ApiError(404, "not_found", "no such stream")
    return document


def stream_links(stream_id: str) -> dict[str, str]:
    return links(
        f"/v1/streams/{stream_id}", "frames", "events", "recordings", "speech", "ws", "stop"
    )


def public_stream_frame(stream_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in frame.items() if k != "image"}
    shown["image_url"] = f"/v1/streams/{stream_id}/frames/{frame['seq']}/image"
    return shown


def public_event(stream_id: str, event: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in event.items() if k != "image"}
    # A speech event said before any frame was described shows no frame.
    seq = event.get("seq")
    shown["image_url"] = None if seq is None else f"/v1/streams/{stream_id}/frames/{seq}/image"
    return shown


def public_stream(
    document: dict[str, Any], progress: StreamProgress | None = None
) -> dict[str, Any]:
    """The stream document as clients see it, with live progress while it runs."""
    stream_id = str(document["stream_id"])
    shown = {k: v for k, v in document.items() if k != "owner"}
    if progress is not None and document.get("status") in RUNNING:
        shown["status"] = progress.state
    latest = document.get("latest")
    if latest:
        shown["latest"] = public_stream_frame(stream_id, latest)
    shown["progress"] = asdict(progress) if progress is not None else None
    shown["links"] = stream_links(stream_id)
    return shown


def parse_time(value: str | None, name: str) -> float | None:
    """A query time: Unix seconds (``1767268800.5``) or ISO 8601 with a zone."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise ApiError(
            422, "validation_error", f"{name}: use Unix seconds or ISO 8601", field=name
        ) from err
    if moment.tzinfo is None:
        raise ApiError(
            422, "validation_error", f"{name}: give a time zone (Z or +hh:mm)", field=name
        )
    return moment.timestamp()
