"""Chat and search over a live stream, in wall-clock time.

``POST /v1/streams/{id}/chat`` (streamed as NDJSON, like a session's chat) and
``GET /v1/streams/{id}/search?q=&since=&until=``. Times in questions and queries ("in the last
10 minutes", "at 14:05") and in the answers' citations (``[14:05:12]``) are local wall-clock
times in the client's zone (``tz``), else the server's.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from videolens.api.deps import Principal, ServicesDep
from videolens.api.errors import ApiError
from videolens.api.stream_views import owned_stream, stream_store
from videolens.chat.stream_answer import arun_stream_answer, prepare_stream_answer
from videolens.chat.stream_citations import StreamCitation
from videolens.chat.stream_search import StreamHit, search_stream
from videolens.chat.stream_zone import InvalidTimeError, UnknownTimeZoneError, Zone, resolve_zone
from videolens.chat.wall_clock import parse_instant
from videolens.errors import VideoLensError
from videolens.streams.errors import StreamNotFoundError

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


def _citation(stream_id: str, citation: StreamCitation) -> dict[str, Any]:
    shown = citation.as_dict()
    if citation.seq is not None:
        shown["image_url"] = f"/v1/streams/{stream_id}/frames/{citation.seq}/image"
    return shown


def _hit(hit: StreamHit) -> dict[str, Any]:
    shown = {k: v for k, v in hit.as_dict().items() if k != "image"}  # a server path
    shown["image_url"] = f"/v1/streams/{hit.stream_id}/frames/{hit.seq}/image"
    return shown


@router.post("/{stream_id}/chat", responses={422: {"description": "A time that does not parse"}})
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
    try:
        prepared = await anyio.to_thread.run_sync(
            lambda: prepare_stream_answer(
                found.settings,
                stream_store(found),
                stream_id,
                body.question,
                zone=zone,
                retriever=found.retriever,
                history_turns=body.history_turns,
            )
        )
    except InvalidTimeError as err:
        raise ApiError(422, "invalid_time", str(err), field="question") from err
    except StreamNotFoundError as err:  # deleted meanwhile
        raise ApiError(404, "not_found", "no such stream") from err

    async def lines() -> AsyncIterator[bytes]:
        try:
            async for event in arun_stream_answer(found.settings, stream_store(found), prepared):
                if event.answer is not None:
                    shown = event.answer.as_dict()
                    shown["citations"] = [_citation(stream_id, c) for c in event.answer.citations]
                    line: dict[str, Any] = {"type": "answer", **shown}
                else:
                    line = {"type": "delta", "text": event.text}
                yield (json.dumps(line, ensure_ascii=False) + "\n").encode()
        except VideoLensError as err:  # the endpoint failed mid-answer: say so, store nothing
            error = {"type": "error", "code": type(err).__name__, "message": str(err)}
            yield (json.dumps(error) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


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
                zone=zone,
                now=now,
                since_at=bounds["since"],
                until_at=bounds["until"],
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
