"""What clients see of a session: no server-side paths, links instead."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from videolens.pipeline.shared import AnalysisProgress

_HIDDEN_VIDEO_FIELDS = {"path"}
_HIDDEN_FRAME_FIELDS = {"image"}


def session_links(session_id: str) -> dict[str, str]:
    base = f"/v1/sessions/{session_id}"
    return {
        "self": base,
        "frames": f"{base}/frames",
        "video": f"{base}/video",
        "events": f"{base}/events",
        "cancel": f"{base}/cancel",
    }


def public_frame(session_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in frame.items() if k not in _HIDDEN_FRAME_FIELDS}
    shown["image_url"] = f"/v1/sessions/{session_id}/frames/{frame['index']}/image"
    return shown


def public_video(document: dict[str, Any]) -> dict[str, Any]:
    video = document.get("video") or {}
    shown = {k: v for k, v in video.items() if k not in _HIDDEN_VIDEO_FIELDS}
    shown["filename"] = document.get("filename") or _basename(str(video.get("path", "")))
    return shown


def public_summary(document: dict[str, Any]) -> dict[str, Any]:
    session_id = str(document["session_id"])
    return {
        "session_id": session_id,
        "status": document["status"],
        "created_at": document["created_at"],
        "updated_at": document.get("updated_at"),
        "filename": public_video(document)["filename"],
        "duration_s": (document.get("video") or {}).get("duration_s"),
        "frames": len(document.get("frames") or []),
        "error": document.get("error"),
        "links": session_links(session_id),
    }


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
        progress=asdict(progress) if progress is not None else None,
        links=session_links(session_id),
    )
    return shown


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
