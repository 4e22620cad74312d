"""Moment clips and contact sheets of a session's video."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse

from videolens.api.deps import (
    MediaPrincipal,
    Services,
    ServicesDep,
    owned_session,
    session_owner,
)
from videolens.api.documented import error_response
from videolens.api.errors import ApiError
from videolens.api.routes.sessions import SessionId
from videolens.api.security import LOCAL_OWNER
from videolens.errors import InvalidVideoError
from videolens.store.space import is_out_of_space, out_of_space, raising_out_of_space
from videolens.timeline.model import SessionDocument
from videolens.video.clips import (
    CLIPS_DIR,
    DEFAULT_AFTER_S,
    DEFAULT_BEFORE_S,
    MAX_CLIP_S,
    Clip,
    ClipError,
    ClipRequestError,
    VideoGoneError,
    clip_of,
    parse_clip_time,
    session_video,
)
from videolens.video.contact_sheet import (
    DEFAULT_TILES,
    MAX_TILES,
    SheetError,
    SheetFormat,
    encode_sheet,
    session_sheet,
)

router = APIRouter(prefix="/v1/sessions", tags=["clips"])

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MEDIA_TYPES: dict[str, str] = {"jpeg": "image/jpeg", "png": "image/png"}
CLIP_TIME_PATTERN = r"^\s*\[?\s*(\d+(\.\d+)?s?|(\d+:)?\d+:\d{1,2}(\.\d+)?)\s*\]?\s*$"
"""What ``t`` looks like: seconds, ``mm:ss`` or ``h:mm:ss``, optionally in brackets."""


@dataclass
class MediaSession:
    """A session the caller owns, for the routes that make media of it (clips, sheets)."""

    found: Services
    session_id: str
    document: SessionDocument

    def folder(self) -> Path:
        return self.found.store.session_dir(self.session_id)

    def video(self) -> Path:
        """The session's video, where the server may read it: inside the session (uploads), or
        anywhere for the local user's own `videolens analyze` sessions (as the video route)."""
        # The video helpers read the document as JSON.
        source = session_video(self.document.as_json()).resolve()
        inside = source.is_relative_to(self.folder().resolve())
        if not (inside or session_owner(self.document) == LOCAL_OWNER):
            raise VideoGoneError("the video of this session is not available")
        return source

    def readable_video(self) -> bool:
        try:
            self.video()
        except VideoGoneError:
            return False
        return True


async def media_session(
    session_id: SessionId, found: ServicesDep, owner: MediaPrincipal
) -> MediaSession:
    document = await anyio.to_thread.run_sync(owned_session, found, owner, session_id)
    return MediaSession(found, session_id, document)


OwnedMedia = Annotated[MediaSession, Depends(media_session)]


@router.get(
    "/{session_id}/clip",
    response_class=FileResponse,
    responses={
        200: {
            "content": {"video/mp4": {}},
            "description": "The clip; `X-Clip-Start` and `X-Clip-Duration` (seconds) say where "
            "it really starts in the video and how long it lasts, `X-Clip-Method` whether it is "
            "a stream `copy` (from the keyframe at or before the asked start) or a `transcode`",
        },
        404: error_response("No such session, or its video is gone (`video_unavailable`)"),
        422: error_response("A time outside the video, a negative or too long span"),
        507: error_response("The disk is too full to cut the clip now"),
    },
)
async def clip(
    session: OwnedMedia,
    t: Annotated[
        str,
        Query(
            max_length=32,
            description="The moment: seconds (`83.5`), `mm:ss` (`1:23`) or `h:mm:ss`",
            # Documented, checked by parse_clip_time (whose messages say what is wrong).
            json_schema_extra={"pattern": CLIP_TIME_PATTERN},
        ),
    ],
    before: Annotated[
        float, Query(ge=0, le=MAX_CLIP_S, description="Seconds before the moment")
    ] = DEFAULT_BEFORE_S,
    after: Annotated[
        float, Query(ge=0, le=MAX_CLIP_S, description="Seconds after the moment")
    ] = DEFAULT_AFTER_S,
) -> FileResponse:
    """An MP4 of `[t - before, t + after]` (clamped to the video, at most 120 s), cut once and
    kept in the session; the key may also come as `?api_key=` (for a download link)."""
    try:
        at_s = parse_clip_time(t)
        source = session.video()
        clips_dir = session.folder() / CLIPS_DIR
        made = await anyio.to_thread.run_sync(
            partial(_clip_or_full_disk, source, clips_dir, at_s, before, after)
        )
    except ClipRequestError as err:
        raise ApiError(422, "invalid_option", str(err), field=err.field) from err
    except VideoGoneError as err:
        raise ApiError(404, "video_unavailable", str(err)) from err
    except (ClipError, InvalidVideoError) as err:
        raise ApiError(422, "clip_failed", str(err)) from err
    stem = _UNSAFE_NAME.sub("_", Path(session.document.filename or "clip").stem)[:60]
    return FileResponse(
        made.path,
        media_type="video/mp4",
        filename=f"{stem or 'clip'}-{made.window.start_s:.1f}s-{made.window.end_s:.1f}s.mp4",
        headers={
            "X-Clip-Start": f"{made.start_s:.3f}",
            "X-Clip-Duration": f"{made.duration_s:.3f}",
            "X-Clip-Method": made.method,
        },
    )


def _clip_or_full_disk(
    source: Path, clips_dir: Path, at_s: float, before_s: float, after_s: float
) -> Clip:
    """:func:`clip_of`, with a cut that failed for a full disk told as such (507, not 422)."""
    with raising_out_of_space(clips_dir):
        try:
            return clip_of(source, clips_dir, at_s, before_s, after_s)
        except ClipError as err:
            if is_out_of_space(err):
                raise out_of_space(clips_dir) from err
            raise


@router.get(
    "/{session_id}/sheet",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}}},
        404: error_response("No such session"),
        409: error_response("No moments and no video to make a sheet from"),
    },
)
async def sheet(
    session: OwnedMedia,
    n: Annotated[int, Query(ge=1, le=MAX_TILES, description="How many thumbnails")] = DEFAULT_TILES,
    fmt: Annotated[SheetFormat, Query(alias="format", description="`jpeg` or `png`")] = "jpeg",
) -> Response:
    """A contact sheet: one image of `n` thumbnails with their times, from the analysed moments
    spread evenly (or frames of the video when there are fewer moments than `n`)."""
    document, frames_dir = session.document, session.found.store.frames_dir(session.session_id)
    if not session.readable_video():
        video = document.video.model_copy(update={"path": ""})
        document = document.model_copy(update={"video": video})
    try:
        made = await anyio.to_thread.run_sync(session_sheet, document.as_json(), frames_dir, n)
        body = await anyio.to_thread.run_sync(encode_sheet, made.image, fmt)
    except SheetError as err:
        raise ApiError(409, "no_sheet", str(err)) from err
    except (ClipError, InvalidVideoError) as err:
        raise ApiError(422, "sheet_failed", str(err)) from err
    return Response(body, media_type=_MEDIA_TYPES[fmt], headers={"X-Sheet-Source": made.source})
