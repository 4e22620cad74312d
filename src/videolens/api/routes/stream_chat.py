"""Chat and search over a live stream, in wall-clock time.

``POST /v1/streams/{id}/chat`` (streamed as NDJSON, like a session's chat) and
``GET /v1/streams/{id}/search?q=&since=&until=``. Times in questions and queries ("in the last
10 minutes", "at 14:05") and in the answers' citations (``[14:05:12]``) are local wall-clock
times in the client's zone (``tz``), else the server's.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from videolens.api.deps import Principal, ServicesDep
from videolens.api.errors import ApiError
from videolens.api.routes.chat import answer_response
from videolens.api.stream_views import owned_stream, stream_store
from videolens.chat.answer import prepare_answer
from videolens.chat.citations import Citation
from videolens.chat.live_timeline import AskedRange
from videolens.chat.search import StreamHit, search_stream
from videolens.chat.sources import StreamSource
from videolens.chat.wall_clock import parse_instant
from videolens.streams.errors import StreamNotFoundError
from videolens.timeline import chat_answer_responses
from videolens.timeline.clock import InvalidTimeError, UnknownTimeZoneError, Zone, resolve_zone

router = APIRouter(prefix="/v1/streams", tags=["streams"])

TimeZoneName = Annotated[
    str | None,
    Query(
        max_length=64,
        description="IANA zone (Europe/Berlin), UTC or an offset (+02:00); default: the server's",
    ),
]


class StreamChatRequest(BaseModel):
    """``POST /v1/streams/{id}/chat``: a question, and the zone its times are in."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000)
    tz: str | None = Field(
        default=None,
        max_length=64,
        description="IANA zone (Europe/Berlin), UTC or an offset (+02:00); default: the server's",
    )
    # Earlier turns sent along for a follow-up question (0: a standalone question).
    history_turns: int = Field(default=0, ge=0, le=10)


def _zone(found: ServicesDep, name: str | None) -> Zone:
    try:
        return resolve_zone(name, found.settings.time_zone)
    except UnknownTimeZoneError as err:
        raise ApiError(422, "invalid_time_zone", str(err), field="tz") from err


def _image_url(stream_id: str, citation: Citation) -> str | None:
    if citation.frame_index is None:
        return None
    return f"/v1/streams/{stream_id}/frames/{citation.frame_index}/image"


def _hit(hit: StreamHit) -> dict[str, Any]:
    shown = {k: v for k, v in hit.as_dict().items() if k != "image"}  # a server path
    shown["image_url"] = f"/v1/streams/{hit.stream_id}/frames/{hit.seq}/image"
    return shown


@router.post(
    "/{stream_id}/chat",
    response_class=StreamingResponse,
    responses={**chat_answer_responses(), 422: {"description": "A time that does not parse"}},
)
async def chat(
    stream_id: str, body: StreamChatRequest, found: ServicesDep, owner: Principal
) -> StreamingResponse:
    """The answer as NDJSON lines.

    ``{"type": "delta", "text"}``…, then ``{"type": "answer", "answer", "mode", "citations",
    "model", "time_zone", "range"}``, or ``{"type": "error", "code", "message"}``. Each citation
    says the wall-clock time cited, whether a stored frame backs it, and that frame.
    """
    await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)  # 404 before streaming
    zone = _zone(found, body.tz)
    store = stream_store(found)
    try:
        source = await anyio.to_thread.run_sync(
            lambda: StreamSource.load(store, stream_id, body.question, AskedRange(zone))
        )
        prepared = await anyio.to_thread.run_sync(
            lambda: prepare_answer(
                found.settings,
                source,
                body.question,
                retriever=found.retriever,
                history_turns=body.history_turns,
            )
        )
    except InvalidTimeError as err:
        raise ApiError(422, "invalid_time", str(err), field="question") from err
    except StreamNotFoundError as err:  # deleted meanwhile
        raise ApiError(404, "not_found", "no such stream") from err
    return answer_response(
        found.settings, lambda: prepared, lambda citation: _image_url(stream_id, citation)
    )


@router.get("/{stream_id}/search")
async def search(
    stream_id: str,
    found: ServicesDep,
    owner: Principal,
    q: Annotated[str, Query(min_length=1, max_length=500, description='e.g. "car since 14:00"')],
    since: Annotated[
        str | None, Query(description="Unix seconds, ISO 8601 or a local time (14:05)")
    ] = None,
    until: Annotated[
        str | None, Query(description="Unix seconds, ISO 8601 or a local time; exclusive")
    ] = None,
    tz: TimeZoneName = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    """The frames that best match ``q`` in a wall-clock range, best first."""
    await anyio.to_thread.run_sync(owned_stream, found, owner, stream_id)
    zone = _zone(found, tz)
    now = time.time()
    bounds: dict[str, float | None] = {}
    for name, value in (("since", since), ("until", until)):
        try:
            bounds[name] = parse_instant(value, zone, now)
        except InvalidTimeError as err:
            raise ApiError(422, "invalid_time", f"{name}: {err}", field=name) from err
    try:
        result = await anyio.to_thread.run_sync(
            lambda: search_stream(
                stream_store(found),
                stream_id,
                q,
                AskedRange(zone, now, bounds["since"], bounds["until"]),
                limit=limit,
                retriever=found.retriever,
            )
        )
    except InvalidTimeError as err:
        raise ApiError(422, "invalid_time", str(err), field="q") from err
    except StreamNotFoundError as err:  # deleted meanwhile
        raise ApiError(404, "not_found", "no such stream") from err
    return {
        "stream_id": stream_id,
        "time_zone": result.time_zone,
        "range": {"since": result.since_at, "until": result.until_at, "label": result.range_label},
        "hits": [_hit(h) for h in result.hits],
    }
