"""Chapters in the YouTube description format: ``00:00 Title`` lines, the first at 00:00.

YouTube only turns a description's timestamps into chapters when the first is at 00:00, there
are at least ``YOUTUBE_MIN_CHAPTERS`` of them, and each lasts at least ``YOUTUBE_MIN_CHAPTER_S``.
Shorter chapters are merged into the one before them (keeping its title); when fewer than three
are left, ``ChaptersUnavailableError`` says why instead of writing a list YouTube would ignore.
"""

from __future__ import annotations

from videolens.chat.chapters import make_chapters
from videolens.chat.timeparse import format_timestamp
from videolens.errors import VideoLensError
from videolens.exports.captions import moment_time
from videolens.timeline.model import Chapter, SessionDocument

YOUTUBE_MIN_CHAPTERS = 3
YOUTUBE_MIN_CHAPTER_S = 10


class ChaptersUnavailableError(VideoLensError):
    """The session cannot make YouTube chapters (too short, or too few long chapters); the
    message says which."""


def session_chapters(document: SessionDocument) -> list[Chapter]:
    """The stored chapters, or chapters made from the shots and changes when it has none."""
    if document.chapters:
        return list(document.chapters)
    return make_chapters(document)


def _duration(document: SessionDocument) -> float:
    duration = document.video.duration_s or 0.0
    return max([duration, *(moment_time(m) for m in document.frames)])


def to_youtube_chapters(document: SessionDocument) -> str:
    """One ``mm:ss Title`` line per chapter, ascending, starting at ``00:00``, each at least 10 s;
    raises ``ChaptersUnavailableError`` when YouTube's rules cannot be met."""
    duration = _duration(document)
    kept: list[tuple[int, str]] = []
    for chapter in sorted(session_chapters(document), key=lambda c: c.start_s):
        start = 0 if not kept else int(chapter.start_s)
        title = " ".join(chapter.title.split()) or "Untitled"
        if kept and (start - kept[-1][0] < YOUTUBE_MIN_CHAPTER_S or title == kept[-1][1]):
            continue  # too soon after the previous chapter (or the same): part of it
        kept.append((start, title))
    if len(kept) > 1 and duration - kept[-1][0] < YOUTUBE_MIN_CHAPTER_S:
        kept.pop()  # a last chapter under 10 s joins the one before
    if len(kept) < YOUTUBE_MIN_CHAPTERS:
        raise ChaptersUnavailableError(_why_not(duration, len(kept)))
    return "\n".join(f"{format_timestamp(start)} {title}" for start, title in kept) + "\n"


def _why_not(duration: float, count: int) -> str:
    rule = (
        f"YouTube needs at least {YOUTUBE_MIN_CHAPTERS} chapters of at least "
        f"{YOUTUBE_MIN_CHAPTER_S} s each"
    )
    shortest = YOUTUBE_MIN_CHAPTERS * YOUTUBE_MIN_CHAPTER_S
    if duration < shortest:
        return (
            f"no YouTube chapters: the video lasts {format_timestamp(duration)} and {rule} "
            f"(a video of at least {format_timestamp(shortest)})"
        )
    found = "1 chapter" if count == 1 else f"{count} chapters"
    return (
        f"no YouTube chapters: the video has {found} of at least {YOUTUBE_MIN_CHAPTER_S} s and "
        f"{rule}; export the chapters as markdown or json instead"
    )
