"""Chat, search and export.

``POST /v1/sessions/{id}/chat`` (streamed as NDJSON), ``GET /v1/sessions/{id}/search?q=``,
``GET /v1/search?q=``, ``GET /v1/sessions/{id}/export?format=``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from videolens.api.deps import Principal, ServicesDep, owned_session
from videolens.api.documented import error_response
from videolens.api.errors import ApiError
from videolens.api.public import shown_video
from videolens.api.routes.library import LibraryDep, search_library
from videolens.chat.answer import PreparedAnswer, arun_answer, prepare_answer
from videolens.chat.citations import Citation
from videolens.chat.search import SearchHit, search_session
from videolens.chat.sources import SessionSource
from videolens.config import Settings
from videolens.errors import VideoLensError
from videolens.exports import export_format, export_session
from videolens.timeline import SessionDocument, chat_answer_responses

router = APIRouter(tags=["chat"])


class ChatRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    # Earlier turns sent along for a follow-up question (0: a standalone question).
    history_turns: int = Field(default=0, ge=0, le=10)


def _exportable(document: SessionDocument) -> SessionDocument:
    """The document with server paths replaced: image links, and the video's file name only."""
    base = f"/v1/sessions/{document.session_id}/frames"
    frames = [m.model_copy(update={"image": f"{base}/{m.index}/image"}) for m in document.frames]
    return document.model_copy(update={"frames": frames, "video": shown_video(document)})


def _hit(hit: SearchHit) -> dict[str, Any]:
    shown = hit.as_dict()
    shown.pop("image")  # a server path; clients get the image route instead
    shown["image_url"] = f"/v1/sessions/{hit.session_id}/frames/{hit.frame_index}/image"
    return shown


def answer_response(
    settings: Settings,
    prepare: Callable[[], PreparedAnswer],
    image_url: Callable[[Citation], str | None] | None = None,
) -> StreamingResponse:
    """A chat answer as NDJSON lines (a session's and a stream's alike): ``prepare`` runs in a
    thread when the response starts; each citation gets the ``image_url`` of its frame, if
    given."""

    async def lines() -> AsyncIterator[bytes]:
        try:
            prepared = await anyio.to_thread.run_sync(prepare)
            async for event in arun_answer(settings, prepared):
                if event.answer is not None:
                    line: dict[str, Any] = {"type": "answer", **event.answer.as_dict()}
                    if image_url is not None:
                        line["citations"] = [
                            _with_image(shown, image_url(citation))
                            for shown, citation in zip(
                                line["citations"], event.answer.citations, strict=True
                            )
                        ]
                else:
                    line = {"type": "delta", "text": event.text}
                yield (json.dumps(line, ensure_ascii=False) + "\n").encode()
        except VideoLensError as err:  # the endpoint failed mid-answer: say so, store nothing
            error = {"type": "error", "code": type(err).__name__, "message": str(err)}
            yield (json.dumps(error) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def _with_image(shown: dict[str, Any], url: str | None) -> dict[str, Any]:
    return {**shown, "image_url": url} if url is not None else shown


@router.post(
    "/v1/sessions/{session_id}/chat",
    response_class=StreamingResponse,
    responses=chat_answer_responses(),
)
async def chat(
    session_id: str, body: ChatRequest, found: ServicesDep, owner: Principal
) -> StreamingResponse:
    """The answer as NDJSON lines.

    ``{"type": "delta", "text"}``…, then ``{"type": "answer", "answer", "mode", "citations",
    "cached", "model"}``, or ``{"type": "error", "code", "message"}``.
    """
    await anyio.to_thread.run_sync(owned_session, found, owner, session_id)  # 404 before streaming

    def prepare() -> PreparedAnswer:
        source = SessionSource.load(found.store, session_id)
        return prepare_answer(
            found.settings, source, body.question,
            retriever=found.retriever, history_turns=body.history_turns,
        )  # fmt: skip

    return answer_response(found.settings, prepare)


@router.get("/v1/sessions/{session_id}/search")
async def search_one(
    session_id: str,
    found: ServicesDep,
    owner: Principal,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[dict[str, Any]]:
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    hits = await anyio.to_thread.run_sync(search_session, document, q, limit, found.retriever)
    return [_hit(h) for h in hits]


@router.get("/v1/search")
async def search_all(
    found: ServicesDep,
    owner: Principal,
    library: LibraryDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[dict[str, Any]]:
    """The caller's sessions' best moments, ranked by the library index (one scoring)."""
    return await search_library(found, owner, library, q, source="file", limit=limit)


ExportName = Literal[
    "json", "markdown", "srt", "vtt", "moments-srt", "moments-vtt", "youtube", "csv",
    "md", "webvtt", "chapters",
]  # fmt: skip
"""The export formats (``EXPORT_FORMATS``) and their aliases, as the API names them."""


@router.get(
    "/v1/sessions/{session_id}/export",
    responses={
        200: {"description": "The session in the chosen format, as an attachment"},
        409: error_response("No speech (srt, vtt) or no chapters (youtube) to export"),
    },
)
async def export(
    session_id: str,
    found: ServicesDep,
    owner: Principal,
    format: Annotated[ExportName, Query(description="The export format")] = "json",
) -> Response:
    try:
        chosen = export_format(format)
    except VideoLensError as err:
        raise ApiError(422, "invalid_option", str(err), field="format") from err
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    text = await anyio.to_thread.run_sync(export_session, _exportable(document), chosen.name)
    filename = f"{session_id}.{chosen.extension}"
    return Response(
        text,
        media_type=chosen.content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
