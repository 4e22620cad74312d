"""The API's side of the workflow: start it for an upload, read its progress, stop it."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import anyio
from fastapi.responses import JSONResponse
from temporalio.client import Client
from temporalio.service import RPCError

from videolens.api.errors import ApiError
from videolens.api.public import session_links
from videolens.api.uploads import StagedUpload
from videolens.config import Settings
from videolens.errors import InvalidVideoError
from videolens.pipeline.client import (
    analysis_input,
    query_progress,
    start_analysis,
    wait_or_terminate,
    workflow_id,
)
from videolens.pipeline.shared import AnalysisProgress
from videolens.store import SessionStore
from videolens.timeline.model import SessionOptions
from videolens.video.probe import probe_video
from videolens.video.types import VideoInfo

# FFmpeg demuxer names -> the extension the stored video gets (decided by content, not name).
_EXTENSIONS = {
    "mov,mp4,m4a,3gp,3g2,mj2": ".mp4",
    "matroska,webm": ".mkv",
    "avi": ".avi",
    "mpegts": ".ts",
    "flv": ".flv",
    "mpeg": ".mpg",
    "ogg": ".ogv",
    "asf": ".wmv",
}
STOP_DEADLINE_S = 15.0


def probe_upload(staged: StagedUpload) -> VideoInfo:
    """Probe the staged file; messages name the upload, not the staging file."""
    try:
        return probe_video(staged.path)
    except InvalidVideoError as err:
        raise InvalidVideoError(str(err).replace(staged.path.name, staged.filename)) from None


def video_extension(info: VideoInfo) -> str:
    return _EXTENSIONS.get(info.container, ".video")


def video_media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def adopt_upload(
    store: SessionStore,
    staged: StagedUpload,
    info: VideoInfo,
    options: SessionOptions | Mapping[str, Any],
    owner: str,
) -> str:
    """Create the session and move the staged video into it as ``video<ext>``."""
    session_id = store.new_session_id()
    target = store.session_dir(session_id) / f"video{video_extension(info)}"
    store.create(str(target), options, session_id=session_id)
    try:
        os.replace(staged.path, target)
        info.path = str(target)
        store.update(session_id, owner=owner, filename=staged.filename, video=asdict(info))
    except BaseException:
        store.delete(session_id)
        raise
    return session_id


async def start_session(
    client: Client, settings: Settings, store: SessionStore, session_id: str, video_path: str
) -> None:
    """Start the analysis of a session just stored; where it cannot start (Temporal is away), the
    session is deleted again and the request fails with a 503."""
    try:
        frames_dir = str(store.frames_dir(session_id))
        await start_analysis(client, analysis_input(settings, session_id, video_path, frames_dir))
    except Exception as err:
        await anyio.to_thread.run_sync(store.delete, session_id)
        raise ApiError(503, "temporal_unavailable", "could not start the analysis") from err


def started_response(session_id: str, filename: str | None, **also: str) -> JSONResponse:
    """The 202 answer to a request that started a session's analysis: the session, its status,
    its file name, ``also`` (e.g. ``rerun_of``) and its links; ``Location`` names it."""
    body: dict[str, Any] = {
        "session_id": session_id,
        "status": "running",
        "filename": filename,
        **also,
        "links": session_links(session_id),
    }
    return JSONResponse(body, status_code=202, headers={"Location": body["links"]["self"]})


async def live_progress(client: Client, session_id: str) -> AnalysisProgress | None:
    """The workflow's progress, or None when no worker has answered yet / it just ended."""
    handle = client.get_workflow_handle(workflow_id(session_id))
    try:
        return await query_progress(handle)
    except RPCError:
        return None


async def cancel(client: Client, session_id: str) -> bool:
    """Ask the workflow to cancel; False when there is no running workflow."""
    try:
        await client.get_workflow_handle(workflow_id(session_id)).cancel()
    except RPCError:
        return False
    return True


async def stop(client: Client, session_id: str) -> None:
    """Cancel the workflow and wait until it has stopped writing; terminate it if it hangs."""
    handle = client.get_workflow_handle(workflow_id(session_id))
    if not await cancel(client, session_id):
        return
    await wait_or_terminate(handle, STOP_DEADLINE_S, "deleted while cancelling")
