"""Answers without a chat model: the question's intent read by patterns (``intents``), answered
from the session's structured fields, every statement citing the ``[mm:ss]`` moments it rests
on. A question no intent covers gets the best-matching moments of the timeline.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from videolens.chat.facts import (
    counts_are_exact,
    label_count,
    ordered_frames,
    presence_stretches,
    speech_absence,
    speech_track,
    text_lines,
)
from videolens.chat.intents import Intent, classify
from videolens.chat.prompt import retrieval_answer
from videolens.chat.retrieval import Context, TimelineIndex
from videolens.chat.summary import summarize_session
from videolens.chat.timeline_text import speech_line, text_tokens
from videolens.chat.timeparse import TimeAnchor, format_timestamp
from videolens.chat.vocabulary import FACE, counted, plural

PREFIX = "Retrieval only (no chat model configured)"
MAX_STRETCHES = 8
MAX_SEGMENTS = 12
MAX_TEXT_LINES = 15
Window = tuple[float, float]


def _ts(seconds: float) -> str:
    return f"[{format_timestamp(seconds)}]"


def offline_answer(
    document: dict[str, Any], question: str, context: Context, index: TimelineIndex
) -> str:
    """The retrieval-only answer to ``question`` (see the module docstring)."""
    intent = classify(question)
    window = _window(intent.anchor, index)
    frames = ordered_frames(document)
    if window is not None:
        frames = [f for f in frames if window[0] <= float(f["timestamp_s"]) <= window[1]]
    where = _where(window) if window is not None else ""
    if intent.kind == "summary":
        return _summary(document)
    if intent.kind == "text":
        return _text(frames, where)
    if intent.kind == "speech":
        return _speech(document, intent, window, where)
    if intent.kind in ("count", "presence"):
        # "vehicle" means car, truck, bus or motorcycle: answer for those that were seen.
        seen = [x for x in intent.labels if any(label_count(f, x) for f in frames)]
        if not seen:
            return _none_seen(intent.labels, len(frames), where)
        if intent.kind == "count":
            parts = [_count(frames, label, where) for label in seen[:3]]
        else:
            parts = [_presence(frames, label, intent, where) for label in seen[:3]]
        return _one_prefix(parts)
    return retrieval_answer(context)


def _one_prefix(parts: list[str]) -> str:
    """Answers for several labels ("van": car and truck) joined under one retrieval-only label."""
    body = [part.removeprefix(f"{PREFIX}. ") for part in parts]
    return f"{PREFIX}. " + "\n\n".join(body)


def _window(anchor: TimeAnchor | None, index: TimelineIndex) -> Window | None:
    """The stretch of video a time anchor points at (None: the whole video)."""
    if anchor is None:
        return None
    near = max(index.time_scale_s, 2.0)
    seconds = anchor.seconds
    if seconds is None and anchor.event:
        event = index.relevance(anchor.event)
        if len(event) and float(event.max()) > 0:
            seconds = float(index.timestamps[int(event.argmax())])
    if anchor.kind == "at" and seconds is not None:
        return (seconds - near, seconds + near)
    if anchor.kind == "between" and seconds is not None:
        return (seconds, anchor.until_s if anchor.until_s is not None else seconds)
    if anchor.kind == "after" and seconds is not None:
        return (seconds, math.inf)
    if anchor.kind == "before" and seconds is not None:
        return (-math.inf, seconds)
    if anchor.kind == "start":
        return (-math.inf, index.duration_s * 0.2)
    if anchor.kind == "end":
        return (index.duration_s * 0.8, math.inf)
    return None


def _where(window: Window) -> str:
    low, high = window
    if math.isinf(low):
        return f" before {format_timestamp(high)}"
    if math.isinf(high):
        return f" after {format_timestamp(low)}"
    return f" between {format_timestamp(max(low, 0.0))} and {format_timestamp(high)}"


def _first_frame_at(frames: list[dict[str, Any]], seconds: float) -> dict[str, Any] | None:
    return next((f for f in frames if float(f["timestamp_s"]) >= seconds - 0.05), None)


def _summary(document: dict[str, Any]) -> str:
    summary = str(document.get("summary") or "").strip()
    chapters = list(document.get("chapters") or [])
    stored = bool(summary)
    if not stored:
        made = summarize_session(document, None)
        summary, chapters = made["summary"], made["chapters"]
    frames = ordered_frames(document)
    lines = [f"{PREFIX}. The video's {'stored ' if stored else ''}summary:", summary]
    cited = []
    for chapter in chapters:
        frame = _first_frame_at(frames, float(chapter["start_s"]))
        if frame is not None:
            cited.append(f"- {_ts(float(frame['timestamp_s']))} {chapter['title']}")
    if cited:
        lines += ["", "Chapters (each cites its first analysed moment):", *cited]
    return "\n".join(lines)


def _count(frames: list[dict[str, Any]], label: str, where: str) -> str:
    counts = [(float(f["timestamp_s"]), label_count(f, label)) for f in frames]
    present = [(t, c) for t, c in counts if c]
    things = plural(label)
    if not counts_are_exact(frames, label):
        cites = " ".join(_ts(t) for t, _ in present[:6])
        return (
            f"{PREFIX}. The analysed moments mention {things} in {len(present)} of "
            f"{len(frames)} moments{where}, but no detector counted them: {cites}."
        )
    peak = max(c for _, c in present)
    at_peak = [t for t, c in present if c == peak]
    also = f" (also {' '.join(_ts(t) for t in at_peak[1:4])})" if len(at_peak) > 1 else ""
    seen = sorted(c for _, c in present)
    lines = [
        f"{PREFIX}. At most {counted(label, peak)} at once{where}, at {_ts(at_peak[0])}{also}.",
        f"{things.capitalize()} are seen in {len(present)} of {len(frames)} analysed moments; "
        f"when present, {_usually(seen)}.",
    ]
    parts = _by_part([(t, c or 0) for t, c in counts])
    if parts:
        lines.append("Over the video: " + "; ".join(parts) + ".")
    detector = "face detector" if label == FACE else "object detector"
    lines.append(f"(Counted by the {detector} on the analysed frames; far or hidden ones "
                 "may be missed.)")  # fmt: skip
    return "\n".join(lines)


def _usually(seen: list[int]) -> str:
    if seen[0] == seen[-1]:
        return f"always {seen[0]}"
    return f"usually {statistics.median_low(seen)} (from {seen[0]} to {seen[-1]})"


def _by_part(counts: list[tuple[float, int]]) -> list[str]:
    """How a count varies: its mean and peak in the first, middle and last third."""
    if len(counts) < 6:
        return []
    first, last = counts[0][0], counts[-1][0]
    third = (last - first) / 3 or 1.0
    parts = []
    for n, name in enumerate(("the beginning", "the middle", "the end")):
        low, high = first + n * third, first + (n + 1) * third
        part = [(t, c) for t, c in counts if low <= t < high or (n == 2 and t == last)]
        if not part:
            continue
        mean = sum(c for _, c in part) / len(part)
        peak_t, peak = max(part, key=lambda item: (item[1], -item[0]))
        span = f"{format_timestamp(part[0][0])}–{format_timestamp(part[-1][0])}"
        detail = f", up to {peak} at {_ts(peak_t)}" if peak else ""
        parts.append(f"about {mean:.1f} on average in {name} ({span}{detail})")
    return parts


def _none_seen(labels: tuple[str, ...], frames: int, where: str) -> str:
    names = [plural(label) for label in labels]
    things = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"{PREFIX}. No {things} were detected in any of the {frames} analysed moments{where}."


def _presence(frames: list[dict[str, Any]], label: str, intent: Intent, where: str) -> str:
    stretches = presence_stretches(frames, label, absent=intent.absent)
    things = plural(label)
    if not stretches:
        if intent.absent:
            return f"{PREFIX}. No analysed moment{where} is known to be without {things}."
        return _none_seen((label,), len(frames), where)
    moments = sum(len(s.times) for s in stretches)
    state = f"without {things}" if intent.absent else f"{things} are visible"
    head = f"{PREFIX}. {state[0].upper() + state[1:]}{where} in {len(stretches)} stretch" + (
        "es" if len(stretches) > 1 else ""
    )
    lines = [f"{head} ({moments} of {len(frames)} analysed moments):"]
    for stretch in stretches[:MAX_STRETCHES]:
        if len(stretch.times) == 1:
            line = f"- at {_ts(stretch.start_s)}"
        else:
            line = f"- from {_ts(stretch.start_s)} to {_ts(stretch.end_s)}"
        if not intent.absent and stretch.peak_count > 1:
            line += f", up to {counted(label, stretch.peak_count)} at once"
            if len(stretch.times) > 1:
                line += f" {_ts(stretch.peak_s)}"
        lines.append(line)
    rest = stretches[MAX_STRETCHES:]
    if rest:
        lines.append(f"- … and {len(rest)} more stretches, the last from {_ts(rest[-1].start_s)}")
    return "\n".join(lines)


def _speech(document: dict[str, Any], intent: Intent, window: Window | None, where: str) -> str:
    track = speech_track(document)
    absence = speech_absence(track)
    if absence is not None:
        return f"{PREFIX}. {absence}"
    segments = list(track.segments)
    if window is not None:
        segments = [s for s in segments if s.end_s >= window[0] and s.start_s <= window[1]]
    if intent.topic:
        wanted = set(text_tokens(intent.topic))
        scored = [(len(wanted & set(text_tokens(s.text))), s) for s in segments]
        segments = [s for n, s in sorted(scored, key=lambda x: (-x[0], x[1].start_s)) if n]
        if not segments:
            total = len(track.segments)
            return (
                f"{PREFIX}. Nothing in the transcript{where} mentions "
                f"\u201c{intent.topic}\u201d ({total} segments transcribed)."
            )
        segments.sort(key=lambda s: s.start_s)
        head = f"What is said about \u201c{intent.topic}\u201d{where} (from the transcript):"
    else:
        if not segments:
            return f"{PREFIX}. Nothing was said{where} (no transcribed speech there)."
        head = f"What is said{where} (the transcript, {len(segments)} segments):"
    lines = [f"{PREFIX}. {head}"]
    lines += [f"- {speech_line(s)}" for s in segments[:MAX_SEGMENTS]]
    if len(segments) > MAX_SEGMENTS:
        last = segments[-1]
        lines.append(f"- … and {len(segments) - MAX_SEGMENTS} more segments, the last at "
                     f"{_ts(last.start_s)}")  # fmt: skip
    return "\n".join(lines)


def _text(frames: list[dict[str, Any]], where: str) -> str:
    found = text_lines(frames)
    if not found:
        return f"{PREFIX}. No on-screen text was read in the analysed moments{where}."
    lines = [f"{PREFIX}. On-screen text read{where}, in order of first appearance:"]
    for line in found[:MAX_TEXT_LINES]:
        until = f", until {format_timestamp(line.last_s)}" if line.last_s > line.first_s else ""
        seen = f"{line.frames} moment{'s' if line.frames > 1 else ''}"
        lines.append(f'- "{line.text}" from {_ts(line.first_s)} ({seen}{until})')
    if len(found) > MAX_TEXT_LINES:
        lines.append(f"- … and {len(found) - MAX_TEXT_LINES} more lines")
    return "\n".join(lines)
