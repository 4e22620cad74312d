"""Session exports: JSON, a Markdown report, subtitles of the speech (SRT, WebVTT), the
described moments as captions (moments-srt, moments-vtt), YouTube chapters, CSV.

``export_session(document, fmt)`` returns the text; ``EXPORT_FORMATS[fmt]`` gives its content
type and file extension (for downloads and ``videolens export -o``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videolens.errors import VideoLensError
from videolens.exports.captions import moment_cues, to_srt, to_vtt
from videolens.exports.chapters import ChaptersUnavailableError, to_youtube_chapters
from videolens.exports.markdown import to_markdown
from videolens.exports.subtitles import NoSpeechError, speech_cues
from videolens.exports.table import to_csv
from videolens.timeline.model import SessionDocument


class UnknownExportFormatError(VideoLensError):
    """The requested export format does not exist; the message lists the ones that do."""


@dataclass(frozen=True)
class ExportFormat:
    """How one export is served and saved."""

    name: str
    content_type: str
    extension: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "json": ExportFormat("json", "application/json", "json"),
    "markdown": ExportFormat("markdown", "text/markdown; charset=utf-8", "md"),
    "srt": ExportFormat("srt", "application/x-subrip; charset=utf-8", "srt"),
    "vtt": ExportFormat("vtt", "text/vtt; charset=utf-8", "vtt"),
    "moments-srt": ExportFormat("moments-srt", "application/x-subrip; charset=utf-8", "srt"),
    "moments-vtt": ExportFormat("moments-vtt", "text/vtt; charset=utf-8", "vtt"),
    "youtube": ExportFormat("youtube", "text/plain; charset=utf-8", "txt"),
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", "csv"),
}
_ALIASES = {"md": "markdown", "webvtt": "vtt", "chapters": "youtube"}


def export_format(name: str) -> ExportFormat:
    """The format called ``name`` (aliases: md, webvtt, chapters)."""
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in EXPORT_FORMATS:
        raise UnknownExportFormatError(
            f"unknown export format {name!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        )
    return EXPORT_FORMATS[key]


def _json(document: SessionDocument, relative_to: Path | None) -> str:
    return json.dumps(document.as_json(), indent=2, ensure_ascii=False) + "\n"


_WRITERS: dict[str, Callable[[SessionDocument, Path | None], str]] = {
    "json": _json,
    "markdown": to_markdown,
    "srt": lambda document, _: to_srt(speech_cues(document)),
    "vtt": lambda document, _: to_vtt(speech_cues(document)),
    "moments-srt": lambda document, _: to_srt(moment_cues(document)),
    "moments-vtt": lambda document, _: to_vtt(moment_cues(document)),
    "youtube": lambda document, _: to_youtube_chapters(document),
    "csv": lambda document, _: to_csv(document),
}


def export_session(document: SessionDocument, fmt: str, *, relative_to: Path | None = None) -> str:
    """The session ``document`` as ``fmt`` text.

    The Markdown report embeds its thumbnails; ``relative_to`` is the folder it will be saved in,
    used only to link an image that cannot be read here (by default relative to the session
    folder: ``frames/<file>.jpg``). The YouTube chapters raise ``ChaptersUnavailableError`` when
    YouTube's rules cannot be met.
    """
    return _WRITERS[export_format(fmt).name](document, relative_to)


__all__ = [
    "EXPORT_FORMATS",
    "ChaptersUnavailableError",
    "ExportFormat",
    "NoSpeechError",
    "UnknownExportFormatError",
    "export_format",
    "export_session",
]
