"""What a session's structured fields say: who and what each frame shows (and how many), the
on-screen text lines, the speech track. Offline answers and summaries are built from these, so
they say only what was measured, and never cite a frame for a thing its fields say is absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from videolens.chat.vocabulary import FACE, labels_in

_COUNTED = re.compile(r"^\s*(\d+)\s+(.+)$")


def ordered_frames(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The analysed frames in time order."""
    return sorted(document.get("frames") or [], key=lambda f: float(f["timestamp_s"]))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def structured_counts(frame: dict[str, Any]) -> dict[str, int]:
    """Label -> how many the frame's fields say are visible; a 0 means the field says none.

    Sources, most exact first: the detector's ``detections`` and ``people_count``, the face
    detector's ``face_count``/``faces``, then counted ``objects`` ("3 people") and ``people``.
    """
    counts: dict[str, int] = {}
    detections = frame.get("detections")
    if isinstance(detections, list):
        for detection in detections:
            if isinstance(detection, dict) and detection.get("label"):
                label = str(detection["label"]).lower()
                counts[label] = counts.get(label, 0) + 1
    people_count = _int(frame.get("people_count"))
    if people_count is not None:
        counts["person"] = max(counts.get("person", 0), people_count)
    face_count = _int(frame.get("face_count"))
    if face_count is None and isinstance(frame.get("faces"), list):
        face_count = len(frame["faces"])
    if face_count is not None:
        counts[FACE] = face_count
    for item in frame.get("objects") or []:
        match = _COUNTED.match(str(item))
        number, name = (int(match.group(1)), match.group(2)) if match else (1, str(item))
        for label in labels_in(name)[:1]:
            if label not in counts or not isinstance(detections, list):
                counts[label] = max(counts.get(label, 0), number)
    people = frame.get("people")
    if "person" not in counts and isinstance(people, list) and people:
        counts["person"] = len(people)
    return counts


def label_count(frame: dict[str, Any], label: str) -> int | None:
    """How many ``label`` the frame shows: its fields' count (0: they say none), else 1 when the
    description mentions it (negated mentions do not count), else None (nothing is known)."""
    counts = structured_counts(frame)
    if label in counts:
        return counts[label]
    if label != FACE and isinstance(frame.get("detections"), list):
        return 0  # the object detector ran on this frame and did not find one
    if label == FACE and ("face_count" in frame or "faces" in frame):
        return 0
    if label in labels_in(str(frame.get("description") or "")):
        return 1
    return None


def counts_are_exact(frames: list[dict[str, Any]], label: str) -> bool:
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


def presence_stretches(
    frames: list[dict[str, Any]], label: str, *, absent: bool = False
) -> list[Stretch]:
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
            run.append((float(frame["timestamp_s"]), count or 0))
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


def text_lines(frames: list[dict[str, Any]]) -> list[TextLine]:
    """The distinct OCR lines (case and spacing ignored) in order of first appearance."""
    found: dict[str, list[Any]] = {}
    for frame in frames:
        t = float(frame["timestamp_s"])
        texts = frame.get("text") or []
        for line in [texts] if isinstance(texts, str) else texts:
            shown = " ".join(str(line).split())
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
class SpeechSegment:
    """One transcribed stretch of speech (``index`` in the stored track's order)."""

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
    segments: tuple[SpeechSegment, ...]


def speech_track(document: dict[str, Any]) -> SpeechTrack:
    """The speech record of ``document`` (older sessions have none), segments in time order."""
    speech = document.get("speech")
    if not isinstance(speech, dict):
        return SpeechTrack(None, "", None, ())
    segments = []
    for i, raw in enumerate(speech.get("segments") or []):
        text = " ".join(str(raw.get("text") or "").split())
        if text:
            start = float(raw.get("start_s") or 0.0)
            end = max(start, float(raw.get("end_s") or start))
            segments.append(SpeechSegment(i, start, end, text))
    segments.sort(key=lambda s: s.start_s)
    status = speech.get("status") or ("ok" if segments else None)
    return SpeechTrack(
        str(status) if status else None,
        str(speech.get("reason") or "").strip(),
        speech.get("language"),
        tuple(segments),
    )


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
