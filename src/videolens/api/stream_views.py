"""What clients see of live streams: no server-side paths, links instead; and owner checks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from videolens.api.deps import Services, is_admin
from videolens.api.errors import ApiError
from videolens.api.public import links
from videolens.api.security import LOCAL_OWNER
from videolens.library.indexing import indexed_stream_store
from videolens.pipeline.stream_shared import RUNNING_STATES, StreamProgress
from videolens.streams.errors import StreamNotFoundError
from videolens.streams.store import StreamStore
from videolens.timeline.model import Moment, StreamDocument, StreamEvent

TIMELINE_FRAMES = 20
RUNNING = RUNNING_STATES


def stream_store(found: Services) -> StreamStore:
    return indexed_stream_store(found.settings)


def owned_stream(found: Services, owner: str, stream_id: str) -> StreamDocument:
    """The stream's document if ``owner`` owns it or is an admin (as for sessions); to anyone
    else it does not exist (404)."""
    try:
        document = stream_store(found).document(stream_id)
    except StreamNotFoundError as err:
        raise ApiError(404, "not_found", "no such stream") from err
    if not owns(document, owner) and not is_admin(found, owner):
        raise ApiError(404, "not_found", "no such stream")
    return document


def owns(document: StreamDocument, owner: str) -> bool:
    """Whether ``owner`` owns the stream (streams made before owners were kept are local)."""
    return (document.owner or LOCAL_OWNER) == owner


def stream_links(stream_id: str) -> dict[str, str]:
    return links(
        f"/v1/streams/{stream_id}", "frames", "events", "recordings", "speech", "ws", "stop"
    )


def frame_image_url(stream_id: str, seq: int | None) -> str:
    return f"/v1/streams/{stream_id}/frames/{seq}/image"


def public_stream_frame(stream_id: str, frame: Moment) -> dict[str, Any]:
    """A described frame's JSON as clients see it: a link in place of the server's path."""
    shown = frame.as_json()
    shown.pop("image", None)
    shown["image_url"] = frame_image_url(stream_id, frame.seq)
    return shown


def public_event(stream_id: str, event: StreamEvent) -> dict[str, Any]:
    """An event's JSON as clients see it: a link in place of the server's path."""
    shown = event.as_json()
    shown.pop("image", None)
    # A speech event said before any frame was described shows no frame.
    seq = event.seq
    shown["image_url"] = None if seq is None else frame_image_url(stream_id, seq)
    return shown


def public_stream(
    document: StreamDocument, progress: StreamProgress | None = None
) -> dict[str, Any]:
    """The stream document's JSON as clients see it, with live progress while it runs."""
    stream_id = document.stream_id
    shown = document.as_json()
    shown.pop("owner", None)
    if progress is not None and document.status in RUNNING:
        shown["status"] = progress.state
    # A document's ``latest`` holds a few of the frame's fields (never an empty one).
    if document.latest is not None and shown.get("latest"):
        shown["latest"] = public_stream_frame(stream_id, document.latest)
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
