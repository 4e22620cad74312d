"""Sessions: list, read (live progress), frames, images, the video (ranges), cancel, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, JSONResponse

from videolens.api import analysis, media
from videolens.api.deps import (
    MediaPrincipal,
    Principal,
    ServicesDep,
    owned_session,
    session_owner,
)
from videolens.api.documented import error_response
from videolens.api.errors import ApiError
from videolens.api.public import public_listed, public_moment, public_session
from videolens.api.responses import (
    FramesPage,
    Session,
    SessionList,
    SessionSummary,
    json_off_the_loop,
)
from videolens.api.routes.library import ListingAsked, ListingIndexDep, listed
from videolens.api.security import LOCAL_OWNER
from videolens.library.listings import session_listing
from videolens.pipeline.reconcile import reconcile_session
from videolens.store import SessionListing
from videolens.video.playable import PlayableError

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

SessionId = Annotated[str, "a 12-character session id"]


@router.get("", response_model=SessionList, response_model_exclude_unset=True)
async def list_sessions(
    found: ServicesDep, library: ListingIndexDep, asked: ListingAsked
) -> Response:
    """Your sessions (an admin's: every session), newest first; ``X-Total-Count`` says how
    many the filters chose."""
    listing = await anyio.to_thread.run_sync(session_listing, library, found.store, asked)

    def shown(entry: SessionListing) -> SessionSummary:
        labels = listing.labels.get(entry.session_id, [])
        return public_listed(entry).model_copy(update={"labels": labels})

    return await listed(lambda: SessionList(sessions=[shown(s) for s in listing.entries]), listing)


@router.get("/{session_id}", response_model=Session, response_model_exclude_unset=True)
async def get_session(session_id: SessionId, found: ServicesDep, owner: Principal) -> Response:
    """Status, live progress while running, video info and coverage."""
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    document = await reconcile_session(found.client, found.store, document)
    progress = None
    if document.status == "running":
        progress = await analysis.live_progress(found.client, session_id)
    return await json_off_the_loop(lambda: public_session(document, progress))


@router.get("/{session_id}/frames", response_model=FramesPage, response_model_exclude_unset=True)
async def list_frames(
    session_id: SessionId,
    found: ServicesDep,
    owner: Principal,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """The analysed frames in time order, a page at a time."""
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    page = document.frames[offset : offset + limit]
    return await json_off_the_loop(
        lambda: FramesPage(
            session_id=session_id,
            status=document.status,
            total=len(document.frames),
            offset=offset,
            limit=limit,
            frames=[public_moment(session_id, moment) for moment in page],
        )
    )


@router.get(
    "/{session_id}/frames/{index}/image",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def frame_image(
    session_id: SessionId,
    index: Annotated[int, "the frame's index"],
    found: ServicesDep,
    owner: MediaPrincipal,
) -> FileResponse:
    """The JPEG of one analysed frame; the key may also come as ``?api_key=`` (for ``<img>``)."""
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    frame = next((m for m in document.frames if m.index == index), None)
    frames_dir = found.store.frames_dir(session_id).resolve()
    path = Path(frame.image).resolve() if frame and frame.image else None
    if path is None or not path.is_relative_to(frames_dir) or not path.is_file():
        raise ApiError(404, "not_found", f"no image for frame {index}")
    return FileResponse(path, media_type="image/jpeg")


@router.get(
    "/{session_id}/video",
    response_class=FileResponse,
    responses={
        200: {"content": {"video/*": {}}},
        206: {"description": "Partial content"},
        415: error_response("No browser-playable copy can be made; the body says why"),
        416: error_response("A `Range` outside the video"),
        507: error_response("The disk is too full to make the playable copy now"),
    },
)
async def video(session_id: SessionId, found: ServicesDep, owner: MediaPrincipal) -> FileResponse:
    """The video as a browser plays it; honours ``Range: bytes=a-b`` (206) for seeking players.

    A video browsers cannot play (AVI, MPEG-2, WMV, ...) is served as an H.264 MP4 copy, made on
    the first request and kept in the session. The key may also come as ``?api_key=``.
    """
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    path = Path(document.video.path or "").resolve()
    inside = path.is_relative_to(found.store.session_dir(session_id).resolve())
    # Sessions made by the CLI point at the local user's own file; uploads live in the session.
    if not (inside or session_owner(document) == LOCAL_OWNER) or not path.is_file():
        raise ApiError(404, "not_found", "the video of this session is not available")
    session_dir = found.store.session_dir(session_id)
    try:
        playable = await anyio.to_thread.run_sync(media.browser_video, path, session_dir)
    except PlayableError as err:
        raise ApiError(415, "unplayable", f"this video cannot play in a browser: {err}") from err
    return FileResponse(playable, media_type=analysis.video_media_type(playable))


@router.post(
    "/{session_id}/cancel",
    status_code=202,
    responses={409: error_response("The session is not running")},
)
async def cancel_session(
    session_id: SessionId, found: ServicesDep, owner: Principal
) -> JSONResponse:
    """Stop a running analysis; frames described so far are kept."""
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    document = await reconcile_session(found.client, found.store, document)
    if document.status != "running" or not await analysis.cancel(found.client, session_id):
        raise ApiError(409, "not_running", f"the session is {document.status}, not running")
    return JSONResponse({"session_id": session_id, "status": "cancelling"}, status_code=202)


@router.delete("/{session_id}", status_code=204, response_class=Response)
async def delete_session(session_id: SessionId, found: ServicesDep, owner: Principal) -> Response:
    """Delete the session and everything it owns (video, frames, results)."""
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    if document.status == "running":
        await analysis.stop(found.client, session_id)
    await anyio.to_thread.run_sync(found.store.delete, session_id)
    return Response(status_code=204)
