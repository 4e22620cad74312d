"""A Markdown report: the video, its summary and chapters, then the timeline with thumbnails.

The thumbnails are embedded (``data:`` URIs of small JPEGs, ``EMBED_SIDE`` px at most, ~5-15 KB
each), so the report shows its pictures wherever it is saved, mailed or attached, with no folder
of images to carry along. An image that is not a readable file here (the API's image URLs, a
frame deleted since) is linked instead, relative to ``relative_to`` when it is a local path.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import cv2

from videolens.chat.timeparse import format_timestamp
from videolens.exports.captions import moment_time
from videolens.exports.chapters import session_chapters
from videolens.timeline.model import Moment, SessionDocument


def _escape(text: str) -> str:
    """Keep descriptions from turning into Markdown structure."""
    text = " ".join(str(text).split())
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


# The longest side of an embedded thumbnail, and its JPEG quality.
EMBED_SIDE = 320
EMBED_QUALITY = 70


def embedded_thumbnail(image: str) -> str | None:
    """A ``data:image/jpeg;base64,…`` URI of ``image`` scaled to ``EMBED_SIDE``, or None when
    ``image`` is not a readable picture here."""
    path = Path(image)
    if not path.is_absolute() or not path.is_file():
        return None
    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if pixels is None:
        return None
    height, width = pixels.shape[:2]
    scale = min(1.0, EMBED_SIDE / max(width, height))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, EMBED_QUALITY])
    if not ok:  # pragma: no cover - cv2 only fails here on out-of-memory
        return None
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def thumbnail_path(image: str, relative_to: Path | None) -> str:
    """The frame image relative to the report's folder (default: the session folder)."""
    path = Path(image)
    if relative_to is not None and path.is_absolute():
        return Path(os.path.relpath(path, relative_to)).as_posix()
    return f"{path.parent.name}/{path.name}" if path.parent.name == "frames" else path.name


def to_markdown(document: SessionDocument, relative_to: Path | None = None) -> str:
    """The report; thumbnails embedded, or linked relative to ``relative_to`` where the image
    file cannot be read."""
    video = document.video
    name = Path(str(video.path or "video")).name
    lines = [f"# {_escape(name)}", ""]
    facts = [f"Session `{document.session_id}`", f"status {document.status}"]
    if video.duration_s is not None:
        facts.append(f"duration {format_timestamp(video.duration_s)}")
    if video.width:
        facts.append(f"{video.width}×{video.height}")
    frames = sorted(document.frames, key=moment_time)
    facts.append(f"{len(frames)} analysed moments")
    if document.coverage is not None:
        facts.append(f"largest gap {document.coverage.max_gap_s:.1f} s")
    lines += [" · ".join(facts), ""]
    if document.summary:
        lines += ["## Summary", "", _escape(document.summary), ""]
    chapters = session_chapters(document)
    if chapters:
        lines += ["## Chapters", ""]
        lines += [f"- **{format_timestamp(c.start_s)}** {_escape(c.title)}" for c in chapters]
        lines.append("")
    lines += ["## Timeline", ""]
    for frame in frames:
        lines += _moment_lines(frame, relative_to)
    return "\n".join(lines).rstrip() + "\n"


def _moment_lines(frame: Moment, relative_to: Path | None) -> list[str]:
    """One moment of the timeline: a heading, its thumbnail, description and lists."""
    lines = [f"### [{format_timestamp(moment_time(frame))}] frame {frame.index}", ""]
    if frame.image:
        target = embedded_thumbnail(frame.image) or thumbnail_path(frame.image, relative_to)
        lines += [f"![frame {frame.index}]({target})", ""]
    lines.append(_escape(frame.description or "(no description)"))
    for values, label in ((frame.text, "On screen"), (frame.objects, "Objects"),
                          (frame.actions, "Actions")):  # fmt: skip
        if values:
            lines.append(f"- {label}: " + ", ".join(_escape(str(v)) for v in values))
    lines.append("")
    return lines
