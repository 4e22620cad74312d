"""The library: every video a key may see, as one index.

``GET /v1/library/videos`` (sessions and streams, filtered and paged), ``GET /v1/library/search``
(moments ranked with one scoring over the library), ``POST /v1/chat`` (a question across the
library, answered as NDJSON like a session's chat). A key sees only its own videos; an admin all.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from videolens.api.deps import Principal, Services, ServicesDep, is_admin
from videolens.api.errors import ApiError
from videolens.api.responses import json_off_the_loop
from videolens.errors import VideoLensError
from videolens.library import LibraryError, LibraryFilter, LibraryIndex
from videolens.library.hits import shown_hit
from videolens.library.listings import Asked, Listing, labels_of_videos
from videolens.library.opening import IndexConnection
from videolens.library.questions import answer_question
from videolens.timeline import chat_answer_responses

router = APIRouter(tags=["library"])
Source = Literal["file", "stream"]
DateQuery = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}-\d{2}", description="ISO 8601 date or instant (UTC)"),
]


def library_connection(request: Request) -> IndexConnection:
    found: IndexConnection = request.app.state.library
    return found


ConnectionDep = Annotated[IndexConnection, Depends(library_connection)]


def library_index(connection: ConnectionDep) -> LibraryIndex:
    """The index (opened here if it was not: a thread of its own); 503 while it is down."""
    try:
        return connection.get()
    except LibraryError as err:
        raise ApiError(503, "library_unavailable", str(err)) from err


def listing_index(connection: ConnectionDep) -> LibraryIndex | None:
    """The index, or None while it is down: a listing then reads the folders."""
    return connection.available()


LibraryDep = Annotated[LibraryIndex, Depends(library_index)]
ListingIndexDep = Annotated[LibraryIndex | None, Depends(listing_index)]


def visible(found: Services, caller: str, **chosen: Any) -> LibraryFilter:
    """The caller's view of the library: its own videos (an admin: every video)."""
    return LibraryFilter(owner=None if is_admin(found, caller) else caller, **chosen)


def listing_filter(
    found: ServicesDep,
    caller: Principal,
    since: DateQuery = None,
    until: DateQuery = None,
    label: Annotated[
        str | None, Query(max_length=100, description="a label detected in the video")
    ] = None,
    status: Annotated[
        str | None, Query(max_length=20, description="running, completed, live…")
    ] = None,
) -> LibraryFilter:
    """The videos a listing asks for, among those the caller may see (creation date in
    ``since``..``until``, a detected label, a status)."""
    return visible(found, caller, since=since, until=until, label=label, status=status)


ListingFilter = Annotated[LibraryFilter, Depends(listing_filter)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]  # SQLite integers are 64-bit
TOTAL_HEADER = "X-Total-Count"  # a listing's total, beside its unchanged body


def listing_asked(
    chosen: ListingFilter,
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="most listed (default: all)")
    ] = None,
    offset: Offset = 0,
) -> Asked:
    """A listing of sessions or of streams: the chosen ones, one page or all."""
    return Asked(chosen, limit, offset)


ListingAsked = Annotated[Asked, Depends(listing_asked)]


async def listed(build: Callable[[], BaseModel], listing: Listing[Any]) -> Response:
    """``build()``'s listing as JSON (``json_off_the_loop``), with its total in a header."""
    response = await json_off_the_loop(build)
    response.headers[TOTAL_HEADER] = str(listing.total)
    return response


async def _run(call: Any, *args: Any) -> Any:
    try:
        return await anyio.to_thread.run_sync(call, *args)
    except LibraryError as err:
        raise ApiError(503, "library_unavailable", str(err)) from err


@router.get("/v1/library/videos")
async def list_videos(
    listed: ListingFilter,
    library: LibraryDep,
    source: Source | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Sessions and streams, newest first: ``{"videos", "total", "limit", "offset"}``; each
    video with the ``labels`` detected in most of its frames, most first."""
    chosen = replace(listed, source=source)
    page = await _run(lambda: library.videos(chosen, limit=limit, offset=offset))
    labels = await _run(labels_of_videos, library, [v.video_id for v in page.videos])
    videos = [{**v.as_dict(), "labels": labels[v.video_id]} for v in page.videos]
    return {"videos": videos, "total": page.total, "limit": limit, "offset": offset}


@router.get("/v1/library/search")
async def search_library(
    found: ServicesDep,
    caller: Principal,
    library: LibraryDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    video_id: Annotated[list[str] | None, Query(max_length=100)] = None,
    since: DateQuery = None,
    until: DateQuery = None,
    source: Source | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[dict[str, Any]]:
    """The best moments for ``q`` over the caller's library, best first."""
    chosen = visible(found, caller, video_ids=tuple(video_id or ()), since=since, until=until,
                     source=source)  # fmt: skip
    hits = await _run(library.search, q, chosen, limit)
    return [shown_hit(h) for h in hits]


class LibraryQuestion(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    video_ids: list[Annotated[str, Field(pattern=r"^[a-z0-9]{1,64}$")]] = Field(
        default_factory=list, max_length=100
    )
    since: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}")
    until: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}")
    source: Source | None = None


@router.post("/v1/chat", response_class=StreamingResponse, responses=chat_answer_responses())
async def chat_library(
    body: LibraryQuestion, found: ServicesDep, caller: Principal, library: LibraryDep
) -> StreamingResponse:
    """A question across the library, as NDJSON: ``{"type": "delta", "text"}`` then
    ``{"type": "answer", "answer", "kind", "mode", "model", "citations"}`` (each citation
    ``[title @ time]`` checked: ``valid``), or ``{"type": "error", "code", "message"}``."""
    chosen = visible(found, caller, video_ids=tuple(body.video_ids), since=body.since,
                     until=body.until, source=body.source)  # fmt: skip

    async def lines() -> AsyncIterator[bytes]:
        try:
            answer = await anyio.to_thread.run_sync(
                answer_question, found.settings, library, body.question, chosen
            )
            shown: list[dict[str, Any]] = [
                {"type": "delta", "text": answer.answer},
                {"type": "answer", **answer.as_dict()},
            ]
        except VideoLensError as err:  # the stream has begun: the error is a line
            shown = [{"type": "error", "code": type(err).__name__, "message": str(err)}]
        for line in shown:
            yield (json.dumps(line, ensure_ascii=False) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")
