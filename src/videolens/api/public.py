"""What clients see of a session: no server-side paths, links instead."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from videolens.pipeline.shared import AnalysisProgress
from videolens.timeline.model import Moment

_HIDDEN_VIDEO_FIELDS = {"path"}
_HIDDEN_FRAME_FIELDS = {"image"}


def links(base: str, *names: str) -> dict[str, str]:
    """A resource's ``links``: ``self``, then one per sub-resource or action under it."""
    return {"self": base, **{name: f"{base}/{name}" for name in names}}


def session_links(session_id: str) -> dict[str, str]:
    return links(f"/v1/sessions/{session_id}", "frames", "video", "events", "cancel")


def public_frame(session_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    """A stored frame as JSON for clients (event streams, exports): see ``public_moment``."""
    shown = {k: v for k, v in frame.items() if k not in _HIDDEN_FRAME_FIELDS}
    shown["image_url"] = f"/v1/sessions/{session_id}/frames/{frame['index']}/image"
    return shown


def public_moment(session_id: str, moment: Moment) -> Moment:
    """A session's moment as clients see it: ``image_url`` in place of the server's path."""
    shown = moment.model_dump(exclude=_HIDDEN_FRAME_FIELDS, exclude_unset=True)
    return Moment.model_validate(
        {**shown, "image_url": f"/v1/sessions/{session_id}/frames/{moment.index}/image"}
    )


def public_video(document: dict[str, Any]) -> dict[str, Any]:
    video = document.get("video") or {}
    shown = {k: v for k, v in video.items() if k not in _HIDDEN_VIDEO_FIELDS}
    shown["filename"] = document.get("filename") or _basename(str(video.get("path", "")))
    return shown


def public_listed(summary: dict[str, Any]) -> dict[str, Any]:
    """One entry of the session list, from the store's summary (``SessionStore.list_sessions``)."""
    session_id = str(summary["session_id"])
    return {
        "session_id": session_id,
        "status": summary["status"],
        "created_at": summary["created_at"],
        "updated_at": summary.get("updated_at"),
        "filename": summary.get("filename") or _basename(str(summary.get("video") or "")),
        "duration_s": summary.get("duration_s"),
        "frames": summary.get("frames") or 0,
        "error": summary.get("error"),
        "links": session_links(session_id),
    }


def public_summary(document: dict[str, Any]) -> dict[str, Any]:
    """The session list's fields, from a whole session document."""
    video = document.get("video") or {}
    return public_listed(
        {
            **document,
            "filename": public_video(document)["filename"],
            "video": video.get("path", ""),
            "duration_s": video.get("duration_s"),
            "frames": len(document.get("frames") or []),
        }
    )


def public_session(
    document: dict[str, Any], progress: AnalysisProgress | None = None
) -> dict[str, Any]:
    """The session without its frames (those are paged at ``/frames``)."""
    session_id = str(document["session_id"])
    shown = public_summary(document)
    shown.update(
        options=document.get("options") or {},
        video=public_video(document),
        coverage=document.get("coverage"),
        timings=document.get("timings") or {},
        finished_at=document.get("finished_at"),
        # Written when the analysis completes: null/empty while running or after a failure.
        summary=document.get("summary"),
        chapters=document.get("chapters") or [],
        summary_mode=document.get("summary_mode"),
        # What is said: {"status", "reason"?, "language", "model", "segments"} once completed.
        speech=document.get("speech"),
        progress=asdict(progress) if progress is not None else None,
        links=session_links(session_id),
    )
    return shown


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
