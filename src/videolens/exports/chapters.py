"""Chapters in the YouTube description format: ``00:00 Title`` lines, the first at 00:00."""

from __future__ import annotations

from typing import Any

from videolens.chat.summary import chapters_from_shots
from videolens.chat.timeparse import format_timestamp


def session_chapters(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored chapters, or chapters from the shots when the session has none."""
    return list(document.get("chapters") or chapters_from_shots(document))


def to_youtube_chapters(document: dict[str, Any]) -> str:
    """One ``mm:ss Title`` line per chapter, ascending, starting at ``00:00``."""
    lines: list[str] = []
    last = -1
    for chapter in sorted(session_chapters(document), key=lambda c: float(c["start_s"])):
        start = 0 if not lines else int(float(chapter["start_s"]))
        if start <= last:
            continue
        title = " ".join(str(chapter["title"]).split()) or "Untitled"
        lines.append(f"{format_timestamp(start)} {title}")
        last = start
    return "\n".join(lines) + "\n" if lines else ""
