"""Changing a session: ``PATCH /v1/sessions/{id}`` renames it, ``POST /v1/sessions/{id}/rerun``
analyses its stored video again, with other options, as a new session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from videolens.api import analysis
from videolens.api.deps import Principal, ServicesDep, owned_session
from videolens.api.errors import ApiError
from videolens.api.options import AnalysisOptions, apply_options, parse_options
from videolens.api.public import public_session
from videolens.api.responses import Session
from videolens.api.routes.clips import MediaSession
from videolens.pipeline.client import recorded_options
from videolens.store import SessionStore
from videolens.timeline.model import SessionDocument
from videolens.video.clips import VideoGoneError

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

TITLE_MAX = 200


class SessionEdit(BaseModel):
    """What a client may change of a session."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(
        default=None,
        max_length=TITLE_MAX,
        description="The session's name; empty or null gives it back its file name.",
    )


@router.patch("/{session_id}", response_model=Session, response_model_exclude_unset=True)
async def edit_session(
    session_id: str, body: SessionEdit, found: ServicesDep, owner: Principal
) -> Session:
    """Rename the session (its ``title``)."""
    await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    title = (body.title or "").strip() or None
    document = await anyio.to_thread.run_sync(lambda: found.store.update(session_id, title=title))
    return public_session(document)


@router.post(
    "/{session_id}/rerun",
    status_code=202,
    responses={
        202: {"description": "Accepted: a new session analyses the same video"},
        404: {"description": "No such session, or its video is gone (`video_unavailable`)"},
        422: {"description": "An invalid option"},
    },
)
async def rerun_session(
    session_id: str, body: AnalysisOptions, found: ServicesDep, owner: Principal
) -> JSONResponse:
    """Analyse the session's stored video again with ``body``'s options (the server's settings
    for those left out); the new session keeps the file name and title."""
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    session = MediaSession(found, session_id, document)
    options = parse_options(_as_fields(body))  # the same checks as an upload's form fields
    run_settings = apply_options(found.settings, options)
    try:
        source = session.video()
    except VideoGoneError as err:
        raise ApiError(404, "video_unavailable", str(err)) from err
    inside = source.is_relative_to(session.folder().resolve())
    new_id = await anyio.to_thread.run_sync(
        lambda: _copy_session(
            found.store, session.document, source, inside, recorded_options(run_settings), owner
        )
    )
    video_path = found.store.document(new_id).video.path or str(source)
    await analysis.start_session(found.client, run_settings, found.store, new_id, video_path)
    return analysis.started_response(new_id, session.document.filename, rerun_of=session.session_id)


def _as_fields(options: AnalysisOptions) -> dict[str, str]:
    return {
        name: str(value)
        for name, value in options.model_dump(mode="json").items()
        if value is not None
    }


def _copy_session(
    store: SessionStore,
    original: SessionDocument,
    source: Path,
    inside: bool,
    options: dict[str, Any],
    owner: str,
) -> str:
    """A new running session of ``original``'s video: a video stored in the original session is
    linked (or copied) into the new one, so deleting either leaves the other whole; a video the
    local user analysed in place is read where it is."""
    session_id = store.new_session_id()
    target = store.session_dir(session_id) / f"video{source.suffix}" if inside else source
    store.create(str(target), options, session_id=session_id)
    try:
        if inside:
            _link_or_copy(source, target)
        video = original.video.model_copy(update={"path": str(target)})
        store.update(
            session_id, owner=owner, filename=original.filename, title=original.title, video=video
        )
    except BaseException:
        store.delete(session_id)
        raise
    return session_id


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another filesystem, or links not allowed there
        shutil.copy2(source, target)
