"""Live streams: start one, list them, read one (status, latest frame, rolling timeline), its
frames in a wall-clock range, its events, its speech, its recordings; stop it, delete it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from videolens.api.deps import MediaPrincipal, Principal, Services, ServicesDep
from videolens.api.documented import error_response
from videolens.api.errors import ApiError
from videolens.api.responses import Stream, StreamFramesPage, StreamList, json_off_the_loop
from videolens.api.routes.library import ConnectionDep, ListingAsked, ListingIndexDep, listed
from videolens.api.stream_views import (
    RUNNING,
    TIMELINE_FRAMES,
    owned_stream,
    parse_time,
    public_event,
    public_stream,
    public_stream_frame,
    stream_links,
    stream_store,
)
from videolens.library.indexing import StreamIndexing
from videolens.library.listings import stream_listing
from videolens.pipeline.stream_client import (
    StreamRequest,
    create_stream,
    request_stop,
    settle,
    start_stream,
    stop_and_wait,
    stream_progress,
)
from videolens.streams.errors import InvalidRuleError, SourceError
from videolens.streams.outbound import OutboundPolicy, PrivateDestinationError
from videolens.streams.store import StreamStore
from videolens.timeline.model import Record, StreamDocument

router = APIRouter(prefix="/v1/streams", tags=["streams"])
RECORDING_NAME = re.compile(r"^\d{13}\.ts$")

_Route = TypeVar("_Route", bound=Callable[..., Any])
_Item = TypeVar("_Item", bound=Record)
StreamId = Annotated[str, "a 12-character stream id"]
Since = Annotated[str | None, Query(description="Unix seconds or ISO 8601; inclusive")]
Until = Annotated[str | None, Query(description="Unix seconds or ISO 8601; exclusive")]
# A ``StreamStore`` listing over a range: (store, stream_id, since_at, until_at, limit).
Listing = Callable[[StreamStore, str, float | None, float | None, int], list[_Item]]


@dataclass
class StreamRange:
    """A listing's query on a stream the caller owns: its document, and the wall-clock range."""

    stream_id: str
    document: StreamDocument
    store: StreamStore
    since_at: float | None
    until_at: float | None
    limit: int

    async def read(self, listing: Listing[_Item]) -> list[_Item]:
        """``listing`` (a ``StreamStore`` method taking a range) over this range, in a thread."""
        return await anyio.to_thread.run_sync(
            lambda: listing(self.store, self.stream_id, self.since_at, self.until_at, self.limit)
        )


async def stream_range(
    stream_id: StreamId,
    found: ServicesDep,
    owner: Principal,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> StreamRange:
    document = await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
    start, end = parse_time(since, "since"), parse_time(until, "until")
    return StreamRange(stream_id, document, stream_store(found), start, end, limit)


Ranged = Annotated[StreamRange, Depends(stream_range)]


def _file_route(path: str, media_type: str) -> Callable[[_Route], _Route]:
    """``GET path``, answered with a file of ``media_type``."""
    return router.get(
        path, response_class=FileResponse, responses={200: {"content": {media_type: {}}}}
    )


async def _stream_file(
    found: Services,
    owner: str,
    stream_id: str,
    locate: Callable[[StreamStore], Path | None],
    missing: str,
    media_type: str,
) -> FileResponse:
    """The file ``locate`` finds in the store of a stream ``owner`` owns; 404 (``missing``)
    when it finds none, or none is there."""
    await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
    path = await anyio.to_thread.run_sync(locate, stream_store(found))
    if path is None or not path.is_file():
        raise ApiError(404, "not_found", missing)
    return FileResponse(path, media_type=media_type)


class StreamCreate(BaseModel):
    """``POST /v1/streams``: the source and how to watch it."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=4000,
        description="rtsp://, rtmp://, http(s):// (HLS), srt://, udp:// or rtp:// (MPEG-TS), "
        "or a capture device (/dev/video0, device:NAME)",
    )
    name: str | None = Field(default=None, max_length=200)
    retention_hours: float | None = Field(default=None, gt=0, le=24 * 366)
    retention_s: float | None = Field(
        default=None,
        gt=0,
        le=24 * 366 * 3600,
        description="retention in seconds (instead of retention_hours)",
    )
    rules: list[str] = Field(
        default_factory=list, max_length=20, description='e.g. ["person", "word:EXIT", "shot"]'
    )
    record: bool = Field(default=False, description="record the stream in MPEG-TS segments")
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, min_length=8, max_length=256)


@router.post(
    "",
    status_code=201,
    response_model=Stream,
    responses={
        422: error_response("Bad URL (or one inside the server's network), rule or option"),
        503: error_response("Temporal is unavailable: the stream could not start"),
    },
)
async def start(
    body: StreamCreate, found: ServicesDep, owner: Principal, library: ConnectionDep
) -> JSONResponse:
    """Start watching a live source; the stream runs until stopped."""
    if body.retention_hours is not None and body.retention_s is not None:
        raise ApiError(
            422,
            "validation_error",
            "give retention_hours or retention_s, not both",
            field="retention_s",
        )
    retention_s = body.retention_s or (
        body.retention_hours * 3600 if body.retention_hours else None
    )
    request = StreamRequest(
        url=body.url,
        name=body.name or "",
        rules=body.rules,
        retention_s=retention_s,
        record=body.record,
        webhook_url=body.webhook_url,
        webhook_secret=body.webhook_secret,
        owner=owner,
        outbound=OutboundPolicy.from_settings(found.settings),
    )
    try:
        document, config = await anyio.to_thread.run_sync(create_stream, found.settings, request)
    except PrivateDestinationError as err:
        raise ApiError(422, err.kind, str(err), field=err.field) from err
    except SourceError as err:
        raise ApiError(422, err.kind, str(err), field="url") from err
    except InvalidRuleError as err:
        raise ApiError(422, "invalid_rule", str(err), field="rules") from err
    except ValueError as err:
        raise ApiError(422, "validation_error", str(err), field="webhook_url") from err
    stream_id = document.stream_id
    # Listings read the index: the stream is listed before its workflow first writes.
    indexing = StreamIndexing(found.settings, stream_store(found), library)
    await anyio.to_thread.run_sync(indexing.document_written, document)
    try:
        await start_stream(found.client, config)
    except Exception as err:
        await anyio.to_thread.run_sync(stream_store(found).delete, stream_id)
        raise ApiError(503, "temporal_unavailable", "could not start the stream") from err
    shown = public_stream(document)
    return JSONResponse(
        shown, status_code=201, headers={"Location": stream_links(stream_id)["self"]}
    )


@router.get("", response_model=StreamList, response_model_exclude_unset=True)
async def list_streams(
    found: ServicesDep, library: ListingIndexDep, asked: ListingAsked
) -> Response:
    """Your streams (an admin's: every stream), newest first; ``X-Total-Count`` says how many
    the filters chose."""
    listing = await anyio.to_thread.run_sync(stream_listing, library, stream_store(found), asked)

    def shown(document: StreamDocument) -> dict[str, Any]:
        return {**public_stream(document), "labels": listing.labels.get(document.stream_id, [])}

    return await listed(
        lambda: StreamList.model_validate({"streams": [shown(d) for d in listing.entries]}),
        listing,
    )


@router.get("/{stream_id}", response_model=Stream, response_model_exclude_unset=True)
async def get_stream(
    stream_id: StreamId,
    found: ServicesDep,
    owner: Principal,
    timeline: Annotated[
        int, Query(ge=0, le=500, description="newest frames to include")
    ] = TIMELINE_FRAMES,
) -> Response:
    """Status (live progress while running), the latest frame and the rolling timeline (of
    frames, and ``speech_timeline`` of what was said)."""
    document = await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
    progress = None
    if document.status in RUNNING:
        progress = await stream_progress(found.client, stream_id)
        if progress is None:  # no answer: the workflow may have ended without saying so
            document = await settle(found.client, stream_store(found), document)
    store = stream_store(found)
    recent = await anyio.to_thread.run_sync(store.recent_moments, stream_id, timeline)
    speech = await anyio.to_thread.run_sync(store.recent_speech, stream_id, timeline)

    def shown() -> Stream:
        body = public_stream(document, progress)
        body["timeline"] = [public_stream_frame(stream_id, f) for f in recent]
        body["speech_timeline"] = [s.as_json() for s in speech]
        return Stream.model_validate(body)

    return await json_off_the_loop(shown)


@router.get(
    "/{stream_id}/frames", response_model=StreamFramesPage, response_model_exclude_unset=True
)
async def list_frames(query: Ranged) -> Response:
    """Described frames in a wall-clock range, oldest first."""
    frames = await query.read(StreamStore.moments)
    stream_id = query.stream_id
    return await json_off_the_loop(
        lambda: StreamFramesPage.model_validate(
            {"stream_id": stream_id, "frames": [public_stream_frame(stream_id, f) for f in frames]}
        )
    )


@_file_route("/{stream_id}/frames/{seq}/image", "image/jpeg")
async def frame_image(
    stream_id: StreamId, seq: int, found: ServicesDep, owner: MediaPrincipal
) -> FileResponse:
    """The JPEG of one frame (``?api_key=`` works, for ``<img>``)."""

    def locate(store: StreamStore) -> Path | None:
        frame = store.moment(stream_id, seq)
        path = Path(frame.image).resolve() if frame and frame.image else None
        # Only the store's own frames folder is ever served.
        return path if path and path.is_relative_to(store.frames_dir(stream_id).resolve()) else None

    missing = f"no image for frame {seq} (never described, or pruned)"
    return await _stream_file(found, owner, stream_id, locate, missing, "image/jpeg")


@router.get("/{stream_id}/events")
async def list_events(query: Ranged) -> dict[str, Any]:
    """Events the rules raised, oldest first, with their webhook delivery state."""
    events = await query.read(StreamStore.stream_events)
    stream_id = query.stream_id
    return {"stream_id": stream_id, "events": [public_event(stream_id, e) for e in events]}


@router.get("/{stream_id}/speech")
async def list_speech(query: Ranged) -> dict[str, Any]:
    """What was said in a wall-clock range (segments by their start), oldest first.

    ``speech.status`` says whether the stream's speech is transcribed (``ok``), or why not
    (``none``: the source sends no audio; ``off``; ``unavailable``, with a ``reason``)."""
    segments = await query.read(StreamStore.speech)
    speech = query.document.speech.as_json() if query.document.speech else {"status": "pending"}
    return {
        "stream_id": query.stream_id,
        "speech": speech,
        "segments": [s.as_json() for s in segments],
    }


@router.get("/{stream_id}/recordings")
async def list_recordings(
    stream_id: StreamId, found: ServicesDep, owner: Principal
) -> dict[str, Any]:
    """Recorded MPEG-TS segments (when the stream records), oldest first."""
    await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
    segments = await anyio.to_thread.run_sync(stream_store(found).recordings, stream_id)
    for segment in segments:
        segment["url"] = f"/v1/streams/{stream_id}/recordings/{segment['name']}"
    return {"stream_id": stream_id, "recordings": segments}


@_file_route("/{stream_id}/recordings/{name}", "video/mp2t")
async def recording(
    stream_id: StreamId, name: str, found: ServicesDep, owner: MediaPrincipal
) -> FileResponse:
    """One recorded segment (``?api_key=`` works, for ``<video>``)."""

    def locate(store: StreamStore) -> Path | None:
        # Names are the store's own (``<ms>.ts``); nothing else ever becomes a path.
        return store.recordings_dir(stream_id) / name if RECORDING_NAME.match(name) else None

    missing = f"no recording {name!r} (never recorded, or pruned)"
    return await _stream_file(found, owner, stream_id, locate, missing, "video/mp2t")


@router.post("/{stream_id}/stop", status_code=202)
async def stop(stream_id: StreamId, found: ServicesDep, owner: Principal) -> JSONResponse:
    """Stop after the current window; what it read is still described and stored."""
    document = await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
    if document.status not in RUNNING or not await request_stop(found.client, stream_id):
        raise ApiError(409, "not_running", f"the stream is {document.status}, not running")
    return JSONResponse({"stream_id": stream_id, "status": "stopping"}, status_code=202)


@router.delete("/{stream_id}", status_code=204, response_class=Response)
async def delete(stream_id: StreamId, found: ServicesDep, owner: Principal) -> Response:
    """Stop the stream if it runs, then delete it with everything it owns."""
    document = await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
    if document.status in RUNNING:
        await stop_and_wait(found.client, stream_id)
    await anyio.to_thread.run_sync(stream_store(found).delete, stream_id)
    return Response(status_code=204)
