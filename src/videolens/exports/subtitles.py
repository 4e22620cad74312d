"""Subtitles of what is said: the session's speech track as SRT/WebVTT cues.

Recognised segments can run long; a cue holds at most two lines of ``LINE_CHARS`` characters,
so a long segment is split at word boundaries, its time shared out by length. A cue stays on
screen at least ``MIN_CUE_S`` (when the next one leaves room), so nothing flashes by unread.
"""

from __future__ import annotations

from videolens.errors import VideoLensError
from videolens.exports.captions import MIN_CUE_S, Cue
from videolens.timeline.model import SessionDocument, Speech

LINE_CHARS = 42
CUE_CHARS = 2 * LINE_CHARS

_WHY_NO_SPEECH = {
    "none": "the video has no audio track",
    "off": "speech recognition was turned off for this analysis",
}


class NoSpeechError(VideoLensError):
    """The session has no speech to write as subtitles; the message says why and what to do."""


def speech_cues(document: SessionDocument) -> list[Cue]:
    """The speech segments as ordered, non-overlapping cues; raises ``NoSpeechError`` if none."""
    speech = document.speech
    segments = sorted(
        (s for s in (speech.segments if speech else []) if s.text.strip()),
        key=lambda s: s.start_s,
    )
    if not segments:
        raise NoSpeechError(_no_speech_reason(speech))
    cues: list[Cue] = []
    for segment in segments:
        cues.extend(_split(segment.start_s, segment.end_s, segment.text))
    return _without_overlaps(cues)


def _no_speech_reason(speech: Speech | None) -> str:
    status = speech.status if speech else ""
    why = (
        _WHY_NO_SPEECH.get(status)
        or (speech.reason if speech else None)
        or ("no speech was recognised" if status == "ok" else "the session has no speech track")
    )
    return f"no subtitles to export: {why}; export the described moments with -f moments-srt"


def _split(start_s: float, end_s: float, text: str) -> list[Cue]:
    """One cue per at most two lines; the segment's time shared out by characters."""
    lines = _wrap(" ".join(text.split()), LINE_CHARS)
    chunks = ["\n".join(lines[i : i + 2]) for i in range(0, len(lines), 2)]
    total = sum(len(chunk) for chunk in chunks)
    span = max(end_s - start_s, MIN_CUE_S)
    cues, at = [], start_s
    for chunk in chunks:
        length = span * len(chunk) / total
        cues.append(Cue(round(at, 3), round(at + length, 3), chunk))
        at += length
    return cues


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _without_overlaps(cues: list[Cue]) -> list[Cue]:
    """A cue ends where the next begins if they overlap; it lasts at least MIN_CUE_S if free."""
    fixed = []
    for cue, following in zip(cues, [*cues[1:], None], strict=True):
        end = max(cue.end_s, cue.start_s + MIN_CUE_S)
        if following is not None:
            end = min(end, following.start_s)
        if end > cue.start_s:
            fixed.append(Cue(cue.start_s, round(end, 3), cue.text))
    return fixed
