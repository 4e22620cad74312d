"""The text of timeline entries: what is indexed for a frame or a speech segment, and the one
line each shows in a prompt or a retrieval-only answer.

A frame's indexed words are its description, on-screen text and structured fields, plus its
detections as words ("3 people person", "a face face"), so "pedestrians" or "faces" find it.
Negative phrases ("no faces detected") are dropped, and so is any word for a thing the frame's
own fields say is absent: a frame never matches a word for what it does not show.
"""

from __future__ import annotations

from typing import Any

from videolens.chat.bm25 import tokenize
from videolens.chat.facts import (
    SpeechTrack,
    SpokenSegment,
    label_count,
    seconds,
    speech_absence,
    structured_counts,
)
from videolens.chat.timeparse import format_timestamp
from videolens.chat.vocabulary import (
    FACE,
    counted,
    expand_tokens,
    labels_of_token,
    strip_negations,
)
from videolens.timeline.model import Moment, SessionDocument, Track

MAX_TRACK_LINES = 25


def as_list(value: Any) -> list[str]:
    """A field that may be missing, a string or a list, as a list of strings."""
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def detected_phrases(frame: Moment) -> list[str]:
    """``["3 people", "a car", "2 faces"]`` from the frame's structured counts (present only)."""
    counts = structured_counts(frame)
    order = sorted(counts, key=lambda label: (label == FACE, -counts[label], label))
    return [counted(label, counts[label]) for label in order if counts[label] > 0]


def frame_words(frame: Moment) -> str:
    """The searchable text of a frame; on-screen text counts twice (it is the most specific)."""
    text = " ".join(frame.text)
    counts = structured_counts(frame)
    labels = " ".join(f"{counted(label, n)} {label}" for label, n in counts.items() if n > 0)
    parts = [
        strip_negations(frame.description),
        text,
        text,
        strip_negations(" ".join(frame.objects)),
        " ".join(frame.people),
        strip_negations(" ".join(frame.actions)),
        labels,
    ]
    return " ".join(p for p in parts if p)


def frame_tokens(frame: Moment) -> list[str]:
    """Index tokens of a frame: its words, their labels, minus words for what it lacks."""
    tokens = expand_tokens(tokenize(frame_words(frame)))
    absent: dict[str, bool] = {}

    def lacks(token: str) -> bool:
        labels = labels_of_token(token)
        if not labels:
            return False
        for label in labels:
            if label not in absent:
                absent[label] = label_count(frame, label) == 0
        return all(absent[label] for label in labels)

    return [token for token in tokens if not lacks(token)]


def text_tokens(text: str) -> list[str]:
    """Index (and query) tokens of plain text, label words expanded."""
    return expand_tokens(tokenize(strip_negations(text)))


def moment_line(frame: Moment) -> str:
    """One compact timeline line: ``[mm:ss] description | text: "…" | detected: …``."""
    line = f"[{format_timestamp(seconds(frame))}] {frame.description}"
    if frame.text:
        line += " | text: " + ", ".join(f'"{t}"' for t in frame.text)
    named = (("objects", frame.objects), ("people", frame.people), ("actions", frame.actions))
    for name, values in named:
        if name == "people":
            # The detector's bare "person" entries are counted in objects already ("7 people");
            # a model backend's descriptions of people ("a man in a red coat") stay.
            values = [value for value in values if value.strip().lower() != "person"]
        if values:
            line += f" | {name}: " + ", ".join(dict.fromkeys(values))
    detected = detected_phrases(frame)
    if detected and not frame.objects:
        line += " | detected: " + ", ".join(detected)
    elif any(p.endswith(("face", "faces")) for p in detected):
        line += " | " + next(p for p in detected if p.endswith(("face", "faces")))
    return line.strip()


def speech_line(segment: SpokenSegment) -> str:
    """``[mm:ss] speech (until mm:ss): "…"`` for a transcribed segment."""
    start, end = format_timestamp(segment.start_s), format_timestamp(segment.end_s)
    until = f" (until {end})" if end != start else ""
    return f'[{start}] speech{until}: "{segment.text}"'


def overview(
    document: SessionDocument, frames: list[Moment], duration: float, speech: SpeechTrack
) -> tuple[str, list[str]]:
    """A header line, then one line per chapter (or per shot) to be thinned to the budget."""
    name = (document.video.path or "").rsplit("/", 1)[-1]
    head = f"Video {name!r}: {format_timestamp(duration)} long, {len(frames)} analysed moments."
    absence = speech_absence(speech)
    if absence is None:
        language = f" ({speech.language})" if speech.language else ""
        head += f"\nSpeech: {len(speech.segments)} transcribed segments{language}."
    elif speech.status is not None:
        head += f"\nSpeech: {absence}"
    if document.summary:
        head += f"\nSummary: {document.summary}"
    if document.tracks is not None:
        head += "\n" + tracks_text(document)
    chapters = document.chapters
    if chapters:
        lines = [f"Chapter [{format_timestamp(c.start_s)}] {c.title}" for c in chapters]
        return head + "\nChapters:", lines
    lines = []
    previous = None
    for frame in frames:
        if frame.shot_start or previous is None:
            body = moment_line(frame)
            if body.split("] ", 1)[-1] != previous:
                lines.append(body)
                previous = body.split("] ", 1)[-1]
    return head + "\nShots (overview):", lines


def track_line(track: Track) -> str:
    """``#3 person 00:04–00:19, in at left, out at right, left to right, red``."""
    span = f"{format_timestamp(track.first_s)}\u2013{format_timestamp(track.last_s)}"
    parts = [f"#{track.track_id} {track.label} {span}"]
    if track.entered:
        parts.append(f"in at {track.entered}")
    if track.exited:
        parts.append(f"out at {track.exited}")
    parts += [value for value in (track.direction, track.colour) if value]
    return ", ".join(parts)


def tracks_text(document: SessionDocument) -> str:
    """The tracks for a prompt: how many of each label, then one line per track (the first
    ``MAX_TRACK_LINES``, by first sight)."""
    tracks = sorted(document.tracks or [], key=lambda t: (t.first_s, t.track_id))
    totals: dict[str, int] = {}
    for track in tracks:
        totals[track.label] = totals.get(track.label, 0) + 1
    how = f", {document.tracking.fps:g} fps" if document.tracking is not None else ""
    if not tracks:
        return f"Tracks (objects followed across frames{how}): none."
    counts = ", ".join(counted(label, n) for label, n in totals.items())
    lines = [f"Tracks (different objects followed across frames{how}): {counts}."]
    lines += [track_line(track) for track in tracks[:MAX_TRACK_LINES]]
    if len(tracks) > MAX_TRACK_LINES:
        lines.append(f"… and {len(tracks) - MAX_TRACK_LINES} more tracks")
    return "\n".join(lines)
