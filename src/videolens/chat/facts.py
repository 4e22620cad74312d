"""What a session's structured fields say: who and what each frame shows (and how many), the
on-screen text lines, the speech track. Offline answers and summaries are built from these, so
they say only what was measured, and never cite a frame for a thing its fields say is absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from videolens.chat.vocabulary import FACE, labels_in
from videolens.timeline.model import Moment, SessionDocument

_COUNTED = re.compile(r"^\s*(\d+)\s+(.+)$")


def seconds(frame: Moment) -> float:
    """The frame's time on its timeline (video seconds; a stream frame's Unix time)."""
    return frame.timestamp_s or 0.0


def ordered_frames(document: SessionDocument) -> list[Moment]:
    """The analysed frames in time order."""
    return sorted(document.frames, key=seconds)


def structured_counts(frame: Moment) -> dict[str, int]:
    """Label -> how many the frame's fields say are visible; a 0 means the field says none.

    Sources, most exact first: the detector's ``detections`` and ``people_count``, the face
    detector's ``face_count``/``faces``, then counted ``objects`` ("3 people") and ``people``.
    """
    counts: dict[str, int] = {}
    detections = frame.detections
    for detection in detections or []:
        if detection.label:
            label = detection.label.lower()
            counts[label] = counts.get(label, 0) + 1
    if frame.people_count is not None:
        counts["person"] = max(counts.get("person", 0), frame.people_count)
    face_count = frame.face_count
    if face_count is None and frame.faces is not None:
        face_count = len(frame.faces)
    if face_count is not None:
        counts[FACE] = face_count
    for item in frame.objects:
        match = _COUNTED.match(item)
        number, name = (int(match.group(1)), match.group(2)) if match else (1, item)
        for label in labels_in(name)[:1]:
            if label not in counts or detections is None:
                counts[label] = max(counts.get(label, 0), number)
    if "person" not in counts and frame.people:
        counts["person"] = len(frame.people)
    return counts


# A frame whose face fields were written (even as null) says how many faces it shows.
_FACE_FIELDS = frozenset({"face_count", "faces"})


def label_count(frame: Moment, label: str) -> int | None:
    """How many ``label`` the frame shows: its fields' count (0: they say none), else 1 when the
    description mentions it (negated mentions do not count), else None (nothing is known)."""
    counts = structured_counts(frame)
    if label in counts:
        return counts[label]
    if label != FACE and frame.detections is not None:
        return 0  # the object detector ran on this frame and did not find one
    if label == FACE and _FACE_FIELDS & frame.model_fields_set:
        return 0
    if label in labels_in(frame.description):
        return 1
    return None


def counts_are_exact(frames: list[Moment], label: str) -> bool:
    """Whether any frame's fields count ``label`` (not just a description mentioning it)."""
    return any(label in structured_counts(f) for f in frames)


@dataclass(frozen=True)
class Stretch:
    """Consecutive analysed frames that all show a label."""

    start_s: float
    end_s: float
    times: tuple[float, ...]
    peak_s: float
    peak_count: int


def presence_stretches(frames: list[Moment], label: str, *, absent: bool = False) -> list[Stretch]:
    """The runs of consecutive frames showing ``label``; a frame without it ends a run.

    ``absent``: the runs of frames whose fields say there is none instead (a frame that says
    nothing either way ends a run: it is not evidence of absence)."""
    stretches: list[Stretch] = []
    run: list[tuple[float, int]] = []

    def close() -> None:
        if run:
            peak = max(run, key=lambda item: (item[1], -item[0]))
            times = tuple(t for t, _ in run)
            stretches.append(Stretch(times[0], times[-1], times, peak[0], peak[1]))
            run.clear()

    for frame in frames:
        count = label_count(frame, label)
        if (count == 0) if absent else bool(count):
            run.append((seconds(frame), count or 0))
        else:
            close()
    close()
    return stretches


@dataclass(frozen=True)
class TextLine:
    """One distinct on-screen text line: when it is first and last read, and how often."""

    text: str
    first_s: float
    last_s: float
    frames: int


def text_lines(frames: list[Moment]) -> list[TextLine]:
    """The distinct OCR lines (case and spacing ignored) in order of first appearance."""
    found: dict[str, list[Any]] = {}
    for frame in frames:
        t = seconds(frame)
        for line in frame.text:
            shown = " ".join(line.split())
            if not shown:
                continue
            key = shown.casefold()
            if key in found:
                found[key][2] = t
                found[key][3] += 1
            else:
                found[key] = [shown, t, t, 1]
    return [TextLine(str(v[0]), float(v[1]), float(v[2]), int(v[3])) for v in found.values()]


@dataclass(frozen=True)
class SpokenSegment:
    """One transcribed stretch of speech (``index`` in the stored track's order), its words
    on one line."""

    index: int
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class SpeechTrack:
    """The session's speech: ``status`` None when the session has no speech record at all."""

    status: str | None
    reason: str
    language: str | None
    segments: tuple[SpokenSegment, ...]


def speech_track(document: SessionDocument) -> SpeechTrack:
    """The speech record of ``document`` (older sessions have none), segments in time order."""
    speech = document.speech
    if speech is None:
        return SpeechTrack(None, "", None, ())
    segments = []
    for i, raw in enumerate(speech.segments):
        text = " ".join(raw.text.split())
        if text:
            start = raw.start_s
            end = max(start, raw.end_s or start)
            segments.append(SpokenSegment(i, start, end, text))
    segments.sort(key=lambda s: s.start_s)
    status = speech.status or ("ok" if segments else None)
    return SpeechTrack(status or None, (speech.reason or "").strip(), speech.language,
                       tuple(segments))  # fmt: skip


def speech_absence(track: SpeechTrack) -> str | None:
    """A plain sentence saying why there is no transcript to answer from; None when there is."""
    reason = track.reason.rstrip(".")
    if track.status is None:
        return "This session has no speech transcript (it was analysed without speech recognition)."
    if track.status == "none":
        return "The video has no audio track, so there is no speech to report."
    if track.status == "off":
        because = f" ({reason})" if reason else ""
        return f"Speech transcription was turned off for this analysis{because}."
    if track.status == "unavailable":
        return f"The speech could not be transcribed: {reason or 'the audio was not readable'}."
    if not track.segments:
        return "No speech was recognised in the audio track."
    return None
