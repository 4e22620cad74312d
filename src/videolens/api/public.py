"""What clients see of a session: no server-side paths, links instead."""

from __future__ import annotations

from videolens.api.responses import Session, SessionLinks, SessionSummary
from videolens.pipeline.shared import AnalysisProgress
from videolens.store import SessionListing
from videolens.timeline.model import Moment, SessionDocument, VideoInfo

_HIDDEN_VIDEO_FIELDS = {"path"}
_HIDDEN_FRAME_FIELDS = {"image"}
_SHOWN_AS_STORED = {
    "options",
    "coverage",
    "timings",
    "finished_at",
    "summary",
    "chapters",
    "summary_mode",
    "speech",
}
"""The document's fields a ``Session`` shows as they are: the models themselves, so that what was
never set in them stays unset in the answer. (The summary and chapters are written when the
analysis completes: null/empty while running or after a failure.)"""


def links(base: str, *names: str) -> dict[str, str]:
    """A resource's ``links``: ``self``, then one per sub-resource or action under it."""
    return {"self": base, **{name: f"{base}/{name}" for name in names}}


def session_links(session_id: str) -> dict[str, str]:
    return links(f"/v1/sessions/{session_id}", "frames", "video", "events", "cancel")


def public_moment(session_id: str, moment: Moment) -> Moment:
    """A session's moment as clients see it: ``image_url`` in place of the server's path."""
    shown = moment.model_dump(exclude=_HIDDEN_FRAME_FIELDS, exclude_unset=True)
    return Moment.model_validate(
        {**shown, "image_url": f"/v1/sessions/{session_id}/frames/{moment.index}/image"}
    )


def shown_video(document: SessionDocument) -> VideoInfo:
    """The session's video as clients see it: its file name, not its path on the server."""
    shown = document.video.model_dump(exclude=_HIDDEN_VIDEO_FIELDS, exclude_unset=True)
    filename = document.filename or _basename(document.video.path or "")
    return VideoInfo.model_validate({**shown, "filename": filename})


def public_listed(summary: SessionListing) -> SessionSummary:
    """One entry of the session list, from the store's summary (``SessionStore.list_sessions``)."""
    return SessionSummary(
        session_id=summary.session_id,
        status=summary.status,
        created_at=summary.created_at,
        updated_at=summary.updated_at,
        filename=summary.filename or _basename(summary.video),
        title=summary.title,
        duration_s=summary.duration_s,
        frames=summary.frames,
        error=summary.error,
        links=SessionLinks.model_validate(session_links(summary.session_id)),
    )


def public_summary(document: SessionDocument) -> SessionSummary:
    """The session list's fields, from a whole session document."""
    return public_listed(SessionListing.of(document))


def public_session(document: SessionDocument, progress: AnalysisProgress | None = None) -> Session:
    """The session without its frames (those are paged at ``/frames``)."""
    return Session(
        **public_summary(document).model_dump(exclude_unset=True),
        **{name: getattr(document, name) for name in _SHOWN_AS_STORED},
        video=shown_video(document),
        progress=progress,
    )


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
