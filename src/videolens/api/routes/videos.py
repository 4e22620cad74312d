"""``POST /v1/videos``: stream an upload to disk, check it is a video, start its analysis."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from videolens.api import analysis
from videolens.api.deps import Principal, ServicesDep
from videolens.api.documented import error_response
from videolens.api.options import OPENAPI_UPLOAD_BODY, apply_options, parse_options
from videolens.api.uploads import receive_upload
from videolens.pipeline.client import recorded_options

router = APIRouter(prefix="/v1/videos", tags=["videos"])


@router.post(
    "",
    status_code=202,
    openapi_extra=OPENAPI_UPLOAD_BODY,
    responses={
        202: {"description": "Accepted: the analysis runs in the workflow"},
        400: error_response("A malformed multipart body, or too many parts"),
        408: error_response("The body stopped arriving (`VIDEOLENS_UPLOAD_READ_TIMEOUT_S`)"),
        413: error_response("Over the upload limit"),
        415: error_response("Not multipart/form-data, or not a video"),
        422: error_response("Missing file, empty file or invalid option"),
        503: error_response("Temporal is unavailable: the analysis could not start"),
        507: error_response("The server's disk is too full for this upload"),
    },
)
async def upload_video(request: Request, found: ServicesDep, owner: Principal) -> JSONResponse:
    """Upload a video (multipart ``file`` part) with optional analysis options."""
    settings = found.settings
    staged = await receive_upload(
        request,
        settings.data_dir / "uploads",
        settings.max_upload_bytes,
        settings.upload_read_timeout_s,
    )
    try:
        run_settings = apply_options(settings, parse_options(staged.fields))
        info = await anyio.to_thread.run_sync(analysis.probe_upload, staged)
        session_id = await anyio.to_thread.run_sync(
            analysis.adopt_upload, found.store, staged, info, recorded_options(run_settings), owner
        )
    finally:
        await anyio.to_thread.run_sync(lambda: staged.path.unlink(missing_ok=True))
    await analysis.start_session(found.client, run_settings, found.store, session_id, info.path)
    return analysis.started_response(session_id, staged.filename)
