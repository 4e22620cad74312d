"""A Markdown report: the video, its summary and chapters, then the timeline with thumbnails."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from videolens.chat.timeparse import format_timestamp
from videolens.exports.chapters import session_chapters


def _escape(text: str) -> str:
    """Keep descriptions from turning into Markdown structure."""
    text = " ".join(str(text).split())
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def thumbnail_path(image: str, relative_to: Path | None) -> str:
    """The frame image relative to the report's folder (default: the session folder)."""
    path = Path(image)
    if relative_to is not None and path.is_absolute():
        return Path(os.path.relpath(path, relative_to)).as_posix()
    return f"{path.parent.name}/{path.name}" if path.parent.name == "frames" else path.name


def to_markdown(document: dict[str, Any], relative_to: Path | None = None) -> str:
    """The report; thumbnails link to frame images relative to ``relative_to``."""
    video = document.get("video") or {}
    name = Path(str(video.get("path") or "video")).name
    lines = [f"# {_escape(name)}", ""]
    facts = [f"Session `{document.get('session_id', '')}`", f"status {document.get('status')}"]
    if video.get("duration_s") is not None:
        facts.append(f"duration {format_timestamp(float(video['duration_s']))}")
    if video.get("width"):
        facts.append(f"{video.get('width')}×{video.get('height')}")
    frames = sorted(document.get("frames") or [], key=lambda f: float(f["timestamp_s"]))
    facts.append(f"{len(frames)} analysed moments")
    coverage = document.get("coverage") or {}
    if coverage.get("max_gap_s") is not None:
        facts.append(f"largest gap {float(coverage['max_gap_s']):.1f} s")
    lines += [" · ".join(facts), ""]
    if document.get("summary"):
        lines += ["## Summary", "", _escape(document["summary"]), ""]
    chapters = session_chapters(document)
    if chapters:
        lines += ["## Chapters", ""]
        lines += [
            f"- **{format_timestamp(float(c['start_s']))}** {_escape(c['title'])}" for c in chapters
        ]
        lines.append("")
    lines += ["## Timeline", ""]
    for frame in frames:
        stamp = format_timestamp(float(frame["timestamp_s"]))
        lines.append(f"### [{stamp}] frame {frame['index']}")
        lines.append("")
        if frame.get("image"):
            lines += [
                f"![frame {frame['index']}]({thumbnail_path(frame['image'], relative_to)})",
                "",
            ]
        lines.append(_escape(frame.get("description") or "(no description)"))
        for field, label in (("text", "On screen"), ("objects", "Objects"), ("actions", "Actions")):
            values = frame.get(field) or []
            if values:
                lines.append(f"- {label}: " + ", ".join(_escape(str(v)) for v in values))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
