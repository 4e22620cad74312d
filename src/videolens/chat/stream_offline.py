"""Answers about a live stream without a chat model, from the frames of the range asked about.

The question's intent is read as for sessions (``intents.classify``: a summary, a count, when
something is visible, what is written or said, or the best-matching frames) and answered from
the frames' structured fields with the session facts (``facts``), every statement citing the
wall-clock ``[14:05:12]`` frames it rests on. A range with no frame says so and cites nothing.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import Any

from videolens.chat.facts import (
    counts_are_exact,
    label_count,
    presence_stretches,
    structured_counts,
    text_lines,
)
from videolens.chat.intents import Intent, classify
from videolens.chat.live_timeline import StreamTimeline
from videolens.chat.retrieval import Context
from videolens.chat.vocabulary import FACE, counted, plural

PREFIX = "Retrieval only (no chat model configured)"
MAX_STRETCHES = 8
MAX_TEXT_LINES = 15
MAX_MOMENTS = 5
RELEVANT_SHARE_OF_BEST = 0.5
_LATEST = re.compile(r"\b(last|latest|most recent(?:ly)?|recently|newest)\b", re.I)
_EARLIEST = re.compile(r"\b(first|earliest)\b", re.I)
_STOPPED = re.compile(r"\b(stop\w*|park\w*|wait\w*|stand\w*|stay\w*)\b", re.I)


def nothing_seen(timeline: StreamTimeline) -> str:
    """The answer for a range without an analysed frame: what is known instead, no citation."""
    where = timeline.where() or " in this stream"
    lines = [f"Nothing was analysed{where}, so there is nothing to answer from."]
    latest = timeline.stream.get("latest") or {}
    newest = latest.get("at") or timeline.stream.get("last_frame_at")
    if newest is not None:
        # Named, not cited: it lies outside the range, so it is no evidence for the answer.
        shown = timeline.zone.clock(float(newest), True)
        lines.append(f"The stream's newest analysed frame is from {shown}.")
    for gap in timeline.gaps()[:3]:
        lines.append(
            f"The source was not watched from {timeline.zone.clock(float(gap['start_at']), True)} "
            f"to {timeline.zone.clock(float(gap['end_at']), True)} ({gap.get('reason') or 'down'})."
        )
    status = timeline.stream.get("status")
    if status in ("stopped", "failed"):
        lines.append(f"The stream is {status}.")
    return " ".join(lines)


def stream_offline_answer(timeline: StreamTimeline, question: str, context: Context) -> str:
    """The retrieval-only answer to ``question`` (without its time phrase) over ``timeline``."""
    if not timeline.frames:
        return f"{PREFIX}. {nothing_seen(timeline)}"
    intent = classify(question)
    if intent.kind == "summary":
        return _summary(timeline)
    if intent.kind == "text":
        return _text(timeline)
    if intent.kind == "speech":
        return _speech(timeline)
    if intent.kind in ("count", "presence"):
        seen = [x for x in intent.labels if any(label_count(f, x) for f in timeline.frames)]
        if not seen:
            names = [plural(label) for label in intent.labels]
            things = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            count = len(timeline.frames)
            frames = (
                "the one analysed frame" if count == 1 else f"any of the {count} analysed frames"
            )
            return f"{PREFIX}. No {things} were detected in {frames}{timeline.where()}."
        if intent.kind == "count":
            parts = [_count(timeline, label) for label in seen[:3]]
        else:
            parts = [_presence(timeline, label, intent, question) for label in seen[:3]]
        return f"{PREFIX}. " + "\n\n".join(parts)
    return _moments(timeline, context)


def _count(timeline: StreamTimeline, label: str) -> str:
    frames, where, ts = timeline.frames, timeline.where(), timeline.stamp
    counts = [(float(f["at"]), label_count(f, label)) for f in frames]
    present = [(t, c) for t, c in counts if c]
    things = plural(label)
    if not counts_are_exact(frames, label):
        cites = " ".join(ts(t) for t, _ in present[-6:])
        return (
            f"The analysed frames mention {things} in {len(present)} of {len(frames)} "
            f"frames{where}, but no detector counted them: {cites}."
        )
    peak = max(c for _, c in present)
    at_peak = [t for t, c in present if c == peak]
    also = f" (also {' '.join(ts(t) for t in at_peak[-3:-1])})" if len(at_peak) > 1 else ""
    seen = sorted(c for _, c in present)
    usually = (
        f"always {seen[0]}"
        if seen[0] == seen[-1]
        else f"usually {statistics.median_low(seen)} (from {seen[0]} to {seen[-1]})"
    )
    last_t, last_c = present[-1]
    detector = "face detector" if label == FACE else "object detector"
    return "\n".join([
        f"At most {counted(label, peak)} at once{where}, at {ts(at_peak[-1])}{also}.",
        f"{things.capitalize()} are seen in {len(present)} of {len(frames)} analysed frames; "
        f"when present, {usually}; the latest: {counted(label, last_c or 0)} at {ts(last_t)}.",
        f"(Counted in each frame by the {detector}: the same {label} seen in several frames is "
        f"counted in each, so this is not a count of different {things}.)",
    ])  # fmt: skip


def _presence(timeline: StreamTimeline, label: str, intent: Intent, question: str) -> str:
    stretches = presence_stretches(timeline.frames, label, absent=intent.absent)
    things, where, ts = plural(label), timeline.where(), timeline.stamp
    if not stretches:
        return f"No analysed frame{where} is known to be without {things}."
    if not intent.absent and (_LATEST.search(question) or _EARLIEST.search(question)):
        latest = not _EARLIEST.search(question) or bool(_LATEST.search(question))
        stretch = stretches[-1] if latest else stretches[0]
        seen = stretch.end_s if latest else stretch.start_s
        subject = counted(label, 1)
        lines = [f"{subject[0].upper()}{subject[1:]} was {'last' if latest else 'first'} "
                 f"seen{where} at {ts(seen)}"]  # fmt: skip
        if len(stretch.times) > 1:
            lasting = round(stretch.end_s - stretch.start_s)
            lines[0] += (
                f", in view from {ts(stretch.start_s)} to {ts(stretch.end_s)} ({lasting} s, "
                f"{len(stretch.times)} analysed frames)"
            )
        if stretch.peak_count > 1:
            lines[0] += f", up to {counted(label, stretch.peak_count)} at once {ts(stretch.peak_s)}"
        lines[0] += "."
        if len(stretches) > 1:
            other = stretches[-2] if latest else stretches[1]
            order = "one before" if latest else "next"
            lines.append(
                f"{things.capitalize()} were in view in {len(stretches)} stretches in all; "
                f"the {order} from {ts(other.start_s)}."
            )
        if _STOPPED.search(question):
            lines.append(
                "(Whether it stopped is not measured: the frames say when it was in view.)"
            )
        return " ".join(lines)
    frames_in = sum(len(s.times) for s in stretches)
    state = f"without {things}" if intent.absent else f"{things} are visible"
    plural_s = "es" if len(stretches) > 1 else ""
    lines = [f"{state[0].upper() + state[1:]}{where} in {len(stretches)} stretch{plural_s} "
             f"({frames_in} of {len(timeline.frames)} analysed frames), newest first:"]  # fmt: skip
    for stretch in reversed(stretches[-MAX_STRETCHES:]):
        line = f"- at {ts(stretch.start_s)}"
        if len(stretch.times) > 1:
            line = f"- from {ts(stretch.start_s)} to {ts(stretch.end_s)}"
        if not intent.absent and stretch.peak_count > 1:
            line += f", up to {counted(label, stretch.peak_count)} at once {ts(stretch.peak_s)}"
        lines.append(line)
    if len(stretches) > MAX_STRETCHES:
        lines.append(f"- … and {len(stretches) - MAX_STRETCHES} earlier stretches")
    return "\n".join(lines)


def _text(timeline: StreamTimeline) -> str:
    found, where, ts = text_lines(timeline.frames), timeline.where(), timeline.stamp
    if not found:
        return (
            f"{PREFIX}. No on-screen text was read in the {len(timeline.frames)} analysed "
            f"frames{where}."
        )
    lines = [f"{PREFIX}. On-screen text read{where}, in order of first appearance:"]
    for line in found[:MAX_TEXT_LINES]:
        last = timeline.clock.format(line.last_s)
        until = f", until {last}" if line.last_s > line.first_s else ""
        seen = f"{line.frames} frame{'s' if line.frames > 1 else ''}"
        lines.append(f'- "{line.text}" at {ts(line.first_s)} ({seen}{until})')
    if len(found) > MAX_TEXT_LINES:
        lines.append(f"- … and {len(found) - MAX_TEXT_LINES} more lines")
    return "\n".join(lines)


def _speech(timeline: StreamTimeline) -> str:
    said = [(float(f["at"]), s) for f in timeline.frames for s in _as_list(f.get("speech"))]
    if not said:
        return f"{PREFIX}. No speech was transcribed in the analysed frames{timeline.where()}."
    lines = [f"{PREFIX}. What is said{timeline.where()}:"]
    lines += [f'- {timeline.stamp(at)} "{text}"' for at, text in said[:MAX_TEXT_LINES]]
    return "\n".join(lines)


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def _summary(timeline: StreamTimeline) -> str:
    frames, ts = timeline.frames, timeline.stamp
    first, last = float(frames[0]["at"]), float(frames[-1]["at"])
    where = timeline.where() or " in this stream"
    lines = [f"{PREFIX}. {len(frames)} analysed frames{where}, from {ts(first)} to {ts(last)}."]
    peaks: dict[str, tuple[int, float]] = {}
    for frame in frames:
        for label, count in structured_counts(frame).items():
            if count and label != FACE and count >= peaks.get(label, (0, 0.0))[0]:
                peaks[label] = (count, float(frame["at"]))
    if peaks:
        top = sorted(peaks, key=lambda label: (label != "person", -peaks[label][0], label))[:6]
        seen = [f"{counted(label, peaks[label][0])} {ts(peaks[label][1])}" for label in top]
        lines.append("Seen, at most at once: " + "; ".join(seen) + ".")
    texts = text_lines(frames)
    if texts:
        shown = ", ".join(f'"{t.text}" {ts(t.first_s)}' for t in texts[:6])
        lines.append(f"On-screen text: {shown}.")
    rules = Counter(str(e.get("rule")) for e in timeline.events)
    if rules:
        last_of = {str(e.get("rule")): float(e["at"]) for e in timeline.events}
        lines.append("Events: " + ", ".join(
            f"{rule} {n}× (last {ts(last_of[rule])})" for rule, n in rules.most_common(6)
        ) + ".")  # fmt: skip
    lines.append(f"The newest: {timeline.line(frames[-1])}")
    return "\n".join(lines)


def _moments(timeline: StreamTimeline, context: Context) -> str:
    where = timeline.where()
    moments = context.moments
    if context.matched:
        best = max(m.score for m in moments)
        chosen = [m for m in moments if m.score >= RELEVANT_SHARE_OF_BEST * best][:MAX_MOMENTS]
        head = f"the best-matching frames{where}, best first:"
    else:
        chosen = moments[:MAX_MOMENTS]  # ranked by nearness to the moment named, or recency
        focus = timeline.wall.focus_at if timeline.wall is not None else None
        near = f"nearest {timeline.clock.format(focus)}" if focus is not None else "newest"
        head = f"no frame{where} matches the question's words; the {near} frames:"
    timeline.shown.update(m.timestamp_s for m in chosen)
    return "\n".join([f"{PREFIX} — {head}", *[f"- {m.line}" for m in chosen]])
