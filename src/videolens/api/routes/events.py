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

from videolens.api import analysis
from videolens.api.deps import owned_session
from videolens.api.errors import ApiError
from videolens.api.live_events import LiveSource, Message, live_router
from videolens.api.public import public_moment, public_session
from videolens.errors import SessionNotFoundError
from videolens.pipeline.shared import AnalysisProgress
from videolens.timeline.model import Moment, SessionDocument


class SessionSource(LiveSource[SessionDocument]):
    """A session's document: its frames are new once their index was not sent before."""

    KEY = "session"
    PROGRESS_TYPE = "progress"
    sent: set[int | None]

    def read(self) -> SessionDocument:
        try:
            return owned_session(self.found, self.owner, self.source_id)
        except SessionNotFoundError as err:
            raise ApiError(404, "not_found", "no such session") from err

    def running(self, document: SessionDocument) -> bool:
        return document.status == "running"

    async def state(self, document: SessionDocument) -> tuple[Message, Message | None]:
        progress = await self._progress(document)
        session = public_session(document, progress).as_json()
        session["frames"] = self._shown(document.frames)
        self.sent = {moment.index for moment in document.frames}
        return {"session": session}, asdict(progress) if progress else None

    async def updates(self, document: SessionDocument) -> list[Message]:
        new = [moment for moment in document.frames if moment.index not in self.sent]
        if not new:
            return []
        self.sent.update(moment.index for moment in new)
        return [{"type": "frames", "frames": self._shown(new)}]

    async def progress(self, document: SessionDocument) -> Message | None:
        progress = await self._progress(document)
        return asdict(progress) if progress else None

    def public(self, document: SessionDocument) -> Message:
        return public_session(document).as_json()

    def status(self, document: SessionDocument) -> object:
        return document.status

    def _shown(self, moments: list[Moment]) -> list[Message]:
        return [public_moment(self.source_id, moment).as_json() for moment in moments]

    async def _progress(self, document: SessionDocument) -> AnalysisProgress | None:
        if document.status != "running":
            return None
        return await analysis.live_progress(self.found.client, document.session_id)


router = live_router("/v1/sessions", "/{source_id}/events", SessionSource, tag="events")
