"""The summary and chapter titles made without a chat model, from what was measured: who and
what the detectors saw (and how many), the on-screen text, what is said, the descriptions.
Every sentence cites the moment it rests on.
"""

from __future__ import annotations

import re

from videolens.chat.facts import (
    SpokenSegment,
    counts_are_exact,
    ordered_frames,
    presence_stretches,
    seconds,
    speech_absence,
    speech_track,
    structured_counts,
    text_lines,
)
from videolens.chat.timeparse import format_timestamp
from videolens.chat.vocabulary import FACE, counted, plural
from videolens.timeline.model import Chapter, Moment, SessionDocument

HEAD = "Extractive summary (no chat model configured)"
TITLE_CHARS = 60
QUOTE_WORDS = 8
_NEGATIVE = re.compile(r"\b(?:no|not|without|nobody|nothing|none)\b", re.I)


def _ts(seconds: float) -> str:
    return f"[{format_timestamp(seconds)}]"


def _quote(text: str, words: int = QUOTE_WORDS) -> str:
    split = text.split()
    return "\u201c" + " ".join(split[:words]) + ("…" if len(split) > words else "") + "\u201d"


def _description_title(frame: Moment) -> str:
    description = frame.description.strip()
    # "New shot." opens the description of every shot's first frame: it says nothing of the shot.
    description = re.sub(r"^new shot\.\s*", "", description, flags=re.IGNORECASE)
    first = re.split(r"[.;,]", description, maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "") if words else ""


def positive_clauses(description: str) -> str:
    """``description`` without its negative clauses ("no faces detected"), no final stop."""
    clauses = re.split(r"\s*;\s*", description.strip().rstrip("."))
    return "; ".join(c for c in clauses if c and not _NEGATIVE.search(c))


def _peaks(frames: list[Moment]) -> dict[str, int]:
    """The most of each label seen at once in ``frames`` (faces left out: people cover them)."""
    peaks: dict[str, int] = {}
    for frame in frames:
        for label, count in structured_counts(frame).items():
            if count > 0 and label != FACE:
                peaks[label] = max(peaks.get(label, 0), count)
    return peaks


def chapter_title(frames: list[Moment], segments: list[SpokenSegment]) -> str:
    """A title from a chapter's content: its on-screen text, else a model's description, else
    what was detected ("3 people and a car"), else its first words spoken, else the
    description."""
    if not frames:
        return _quote(segments[0].text, 6) if segments else "Untitled"
    lines = text_lines(frames)
    if lines:
        return " ".join(line.text for line in lines[:3])[:TITLE_CHARS]
    described = _description_title(frames[0])
    if described and frames[0].model not in ("", "basic"):
        return described
    peaks = _peaks(frames)
    if peaks:
        top = sorted(peaks, key=lambda label: (label != "person", -peaks[label], label))[:2]
        title = " and ".join(counted(label, peaks[label]) for label in top)
        return title[0].upper() + title[1:]
    if segments:
        return _quote(segments[0].text, 6)
    return described or "Untitled"


def _seen(frames: list[Moment]) -> list[str]:
    """Sentences on the people and objects detected: in how many moments, most at once, when."""
    labels: dict[str, int] = {}
    for frame in frames:
        for label, count in structured_counts(frame).items():
            if count > 0:
                labels[label] = labels.get(label, 0) + 1
    exact = [label for label in labels if counts_are_exact(frames, label)]
    exact.sort(key=lambda label: (label != "person", label == FACE, -labels[label], label))
    sentences: list[str] = []
    others: list[str] = []
    for label in exact:
        stretches = presence_stretches(frames, label)
        if not stretches:
            continue
        peak = max(stretches, key=lambda s: (s.peak_count, -s.peak_s))
        first = stretches[0].start_s
        if label == "person":
            sentences.append(
                f"People are seen in {labels[label]} of {len(frames)} analysed moments, first at "
                f"{_ts(first)}, up to {counted(label, peak.peak_count)} at once {_ts(peak.peak_s)}."
            )
        elif label == FACE:
            sentences.append(
                f"Faces are detected in {labels[label]} moments, first at {_ts(first)}."
            )
        elif peak.peak_count > 1:
            others.append(f"{plural(label)} (up to {peak.peak_count} at once {_ts(peak.peak_s)})")
        else:
            others.append(f"{counted(label, 1)} {_ts(first)}")
    if others:
        sentences.insert(1 if exact and exact[0] == "person" else 0,
                         "Also detected: " + ", ".join(others[:5]) + ".")  # fmt: skip
    if not sentences and any(f.detections is not None for f in frames):
        sentences.append("The object detector found no people or objects it knows.")
    return sentences


def _text_sentence(frames: list[Moment]) -> str | None:
    lines = text_lines(frames)
    if not lines:
        return None
    shown = ", ".join(f'"{line.text}" {_ts(line.first_s)}' for line in lines[:6])
    more = f" ({len(lines)} distinct lines in all)" if len(lines) > 6 else ""
    return f"On-screen text: {shown}{more}."


def _speech_sentence(document: SessionDocument) -> str | None:
    track = speech_track(document)
    absence = speech_absence(track)
    if absence is not None:
        return absence if track.status is not None else None
    first, last = track.segments[0], track.segments[-1]
    said = f"Speech: {len(track.segments)} transcribed segments, from {_quote(first.text)} " \
        f"{_ts(first.start_s)}"  # fmt: skip
    if last is not first:
        said += f" to {_quote(last.text)} {_ts(last.start_s)}"
    return said + "."


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def extractive_summary(document: SessionDocument, chapters: list[Chapter]) -> str:
    """A few true sentences from the measurements, then the chapters' opening descriptions;
    labelled as extractive."""
    frames = ordered_frames(document)
    if not frames:
        return f"{HEAD}: no analysed moments."
    duration = max(document.video.duration_s or 0.0, seconds(frames[-1]))
    parts = [
        f"{HEAD}: a {format_timestamp(duration)} video, "
        f"{_counted(len(frames), 'analysed moment')}, {_counted(len(chapters), 'chapter')}."
    ]
    parts += _seen(frames)
    parts += [s for s in (_text_sentence(frames), _speech_sentence(document)) if s]
    seen: set[str] = set()
    for chapter in chapters[:6]:
        frame = next((f for f in frames if seconds(f) >= chapter.start_s - 0.001), frames[-1])
        description = positive_clauses(frame.description)
        if description and description not in seen:
            seen.add(description)
            parts.append(f"{_ts(seconds(frame))} {description}.")
    return " ".join(parts)
