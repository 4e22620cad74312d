"""The API's response bodies, typed: what ``public`` and ``stream_views`` shape for clients.

Routes declare these as ``response_model`` with ``response_model_exclude_unset=True``, so a
body keeps exactly the fields its view function returned (nothing added, nothing filtered:
every model allows unknown fields).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import anyio
from fastapi import FastAPI, Response
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from videolens.pipeline.shared import AnalysisProgress
from videolens.pipeline.stream_shared import StreamProgress
from videolens.timeline import (
    Chapter,
    ChatAnswer,
    Coverage,
    Moment,
    Record,
    SessionDocument,
    SessionOptions,
    Speech,
    StreamDocument,
    StreamSpeechSegment,
    VideoInfo,
)
from videolens.timeline.model import SessionHeader, SessionStatusName


class SessionLinks(Record):
    """Where to read, follow and control a session."""

    self: str
    frames: str
    video: str
    events: str
    cancel: str


class SessionSummary(SessionHeader):
    """One entry of the session list."""

    links: SessionLinks
    labels: list[str] | None = Field(
        default=None,
        description="Listings only: the objects detected in most frames, most first (a few).",
    )


class SessionList(Record):
    """``GET /v1/sessions``: your sessions, newest first."""

    sessions: list[SessionSummary]


class Session(SessionSummary):
    """A session without its frames (``links.frames`` pages them), with live progress."""

    options: SessionOptions = Field(default_factory=SessionOptions)
    video: VideoInfo = Field(default_factory=VideoInfo)
    coverage: Coverage | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    finished_at: str | None = None
    summary: str | None = Field(default=None, description="Null until completed.")
    chapters: list[Chapter] = Field(default_factory=list)
    summary_mode: str | None = None
    speech: Speech | None = None
    progress: AnalysisProgress | None = Field(default=None, description="While running.")


class FramesPage(Record):
    """``GET /v1/sessions/{id}/frames``: a page of described moments, in time order."""

    session_id: str
    status: SessionStatusName
    total: int = Field(description="Frames described in all.")
    offset: int
    limit: int
    frames: list[Moment]


class StreamLinks(Record):
    """Where to read, follow and control a stream."""

    self: str
    frames: str
    events: str
    recordings: str
    speech: str
    ws: str
    stop: str


class Stream(StreamDocument):
    """A live stream as clients see it; ``GET /v1/streams/{id}`` adds the rolling timelines."""

    progress: StreamProgress | None = Field(default=None, description="While running.")
    links: StreamLinks | None = None
    labels: list[str] | None = Field(
        default=None,
        description="Listings only: the objects detected in most frames, most first (a few).",
    )
    timeline: list[Moment] | None = Field(default=None, description="The newest frames.")
    speech_timeline: list[StreamSpeechSegment] | None = Field(
        default=None, description="The newest speech segments."
    )


class StreamList(Record):
    """``GET /v1/streams``: your streams, newest first."""

    streams: list[Stream]


class StreamFramesPage(Record):
    """``GET /v1/streams/{id}/frames``: described frames in a wall-clock range, oldest first."""

    stream_id: str
    frames: list[Moment]


DOCUMENT_SCHEMAS: tuple[type[BaseModel], ...] = (SessionDocument, StreamDocument, ChatAnswer)
"""Named in ``/openapi.json`` though no route returns them whole: the stored result document,
the stream document and the final line of a chat answer."""


def publish_schemas(app: FastAPI, models: Sequence[type[BaseModel]] = DOCUMENT_SCHEMAS) -> None:
    """Add ``models`` (and the models they use) to the app's OpenAPI components."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        _, definitions = models_json_schema(
            [(model, "serialization") for model in models],
            ref_template="#/components/schemas/{model}",
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in definitions.get("$defs", {}).items():
            components.setdefault(name, definition)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


async def json_off_the_loop(build: Callable[[], BaseModel]) -> Response:
    """``build()``'s model as a JSON response, built and serialized in a worker thread.

    For bodies that cost CPU (a session's frames, long lists): the event loop only sends the
    bytes, so other requests are not kept waiting. Routes keep their ``response_model`` for the
    OpenAPI document; fields left unset are left out, as ``response_model_exclude_unset`` does.
    """

    def render() -> bytes:
        return build().model_dump_json(exclude_unset=True, by_alias=True).encode()

    return Response(await anyio.to_thread.run_sync(render), media_type="application/json")
