"""``WS /v1/sessions/{id}/events``: a session's analysis on the live-events protocol
(:mod:`videolens.api.live_events`): the current state first, then progress and new frames as they
land, then one ``final`` event; the server closes the socket after it.

Events: ``{"type": "state", "session"}`` (the session with its frames), ``{"type": "progress",
"progress"}``, ``{"type": "frames", "frames"}``, ``{"type": "final", "status", "session"}``, and
on a refused connection ``{"type": "error", "error"}`` followed by close code 4000 + the HTTP
status. The key may come as ``?api_key=`` (browsers cannot set WebSocket headers) or as a header.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from videolens.api import analysis
from videolens.api.deps import owned_document
from videolens.api.errors import ApiError
from videolens.api.live_events import LiveSource, Message, live_router
from videolens.api.public import public_frame, public_session
from videolens.errors import SessionNotFoundError
from videolens.pipeline.shared import AnalysisProgress


class SessionSource(LiveSource):
    """A session's document: its frames are new once their index was not sent before."""

    KEY = "session"
    PROGRESS_TYPE = "progress"
    sent: set[int]

    def read(self) -> dict[str, Any]:
        try:
            return owned_document(self.found, self.owner, self.source_id)
        except SessionNotFoundError as err:
            raise ApiError(404, "not_found", "no such session") from err

    def running(self, document: dict[str, Any]) -> bool:
        return bool(document["status"] == "running")

    async def state(self, document: dict[str, Any]) -> tuple[Message, Message | None]:
        progress = await self._progress(document)
        frames = document.get("frames") or []
        session = public_session(document, progress)
        session["frames"] = [public_frame(self.source_id, f) for f in frames]
        self.sent = {int(f["index"]) for f in frames}
        return {"session": session}, asdict(progress) if progress else None

    async def updates(self, document: dict[str, Any]) -> list[Message]:
        new = [f for f in document.get("frames") or [] if int(f["index"]) not in self.sent]
        if not new:
            return []
        self.sent.update(int(f["index"]) for f in new)
        return [{"type": "frames", "frames": [public_frame(self.source_id, f) for f in new]}]

    async def progress(self, document: dict[str, Any]) -> Message | None:
        progress = await self._progress(document)
        return asdict(progress) if progress else None

    def public(self, document: dict[str, Any]) -> Message:
        return public_session(document)

    async def _progress(self, document: dict[str, Any]) -> AnalysisProgress | None:
        if document["status"] != "running":
            return None
        return await analysis.live_progress(self.found.client, str(document["session_id"]))


router = live_router("/v1/sessions", "/{source_id}/events", SessionSource, tag="events")
