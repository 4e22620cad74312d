"""``WS /v1/sessions/{id}/events``: the current state first, then progress and new frames as they
land, then one ``final`` event; the server closes the socket after it.

Events: ``{"type": "state", "session"}``, ``{"type": "progress", "progress"}``,
``{"type": "frames", "frames"}``, ``{"type": "final", "status", "session"}``, and on a refused
connection ``{"type": "error", "error"}`` followed by close code 4000 + the HTTP status.
The key may come as ``?api_key=`` (browsers cannot set WebSocket headers) or as a header.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from videolens.api import analysis
from videolens.api.deps import Services, authenticate, owned_document, websocket_key
from videolens.api.errors import ApiError, error_body
from videolens.api.public import public_frame, public_session
from videolens.errors import SessionNotFoundError

router = APIRouter(prefix="/v1/sessions", tags=["events"])

POLL_S = 0.5


@router.websocket("/{session_id}/events")
async def session_events(websocket: WebSocket, session_id: str) -> None:
    found: Services = websocket.app.state.services
    # Accepted before checking, so that browsers (which never see a refused handshake's status)
    # get the reason: an ``error`` event, then a close code of 4000 + the HTTP status.
    await websocket.accept()
    try:
        owner = authenticate(found, websocket_key(websocket))
        document = await anyio.to_thread.run_sync(owned_document, found, owner, session_id)
    except (ApiError, SessionNotFoundError) as exc:
        err = exc if isinstance(exc, ApiError) else ApiError(404, "not_found", "no such session")
        await websocket.send_json({"type": "error", **error_body(err.code, err.message)})
        await websocket.close(code=4000 + err.status, reason=err.message[:120])
        return
    with contextlib.suppress(WebSocketDisconnect):
        await _stream(websocket, found, owner, session_id, document)


async def _stream(
    websocket: WebSocket, found: Services, owner: str, session_id: str, document: dict[str, Any]
) -> None:
    progress = await _progress(found, document)
    state = public_session(document, progress)
    state["frames"] = [public_frame(session_id, f) for f in document.get("frames") or []]
    await websocket.send_json({"type": "state", "session": state})
    sent = {int(f["index"]) for f in document.get("frames") or []}
    last_progress = asdict(progress) if progress else None
    while document["status"] == "running":
        await asyncio.sleep(POLL_S)
        try:
            document = await anyio.to_thread.run_sync(owned_document, found, owner, session_id)
        except SessionNotFoundError:  # deleted meanwhile
            await websocket.send_json({"type": "final", "status": "deleted", "session": None})
            await websocket.close()
            return
        await _send_new_frames(websocket, session_id, document, sent)
        progress = await _progress(found, document)
        if progress is not None and asdict(progress) != last_progress:
            last_progress = asdict(progress)
            await websocket.send_json({"type": "progress", "progress": last_progress})
    await websocket.send_json(
        {"type": "final", "status": document["status"], "session": public_session(document)}
    )
    await websocket.close()


async def _progress(found: Services, document: dict[str, Any]) -> Any:
    if document["status"] != "running":
        return None
    return await analysis.live_progress(found.client, str(document["session_id"]))


async def _send_new_frames(
    websocket: WebSocket, session_id: str, document: dict[str, Any], sent: set[int]
) -> None:
    new = [f for f in document.get("frames") or [] if int(f["index"]) not in sent]
    if new:
        sent.update(int(f["index"]) for f in new)
        frames = [public_frame(session_id, f) for f in new]
        await websocket.send_json({"type": "frames", "frames": frames})
