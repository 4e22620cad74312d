"""Offline answers about what the detectors counted: how many of a thing were seen (``count``),
and when it was in view or missing (``presence``). A stream lists its newest frames first and
answers "when was a car last seen?" with the latest stretch.
"""

from __future__ import annotations

import re
import statistics

from videolens.chat.facts import (
    Stretch,
    counts_are_exact,
    label_count,
    presence_stretches,
    seconds,
)
from videolens.chat.intents import Intent
from videolens.chat.offline.evidence import Evidence
from videolens.chat.vocabulary import FACE, counted, plural

MAX_STRETCHES = 8
_LATEST = re.compile(r"\b(last|latest|most recent(?:ly)?|recently|newest)\b", re.I)
_EARLIEST = re.compile(r"\b(first|earliest)\b", re.I)
_STOPPED = re.compile(r"\b(stop\w*|park\w*|wait\w*|stand\w*|stay\w*)\b", re.I)


def none_seen(evidence: Evidence, labels: tuple[str, ...]) -> str:
    """None of ``labels`` was seen, saying what was looked at: the tracker's frames, the
    detector's analysed moments, or (no detector ran) only the descriptions."""
    names = [plural(label) for label in labels]
    things = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    count, unit, where = len(evidence.frames), evidence.unit, evidence.where
    tracking = evidence.document.tracking if evidence.document is not None else None
    if evidence.tracks is not None and FACE not in labels:
        looked = f" (the detector looked at {tracking.fps:g} frames a second)" if tracking else ""
        one = " or ".join(labels)
        return f"No {one} was detected in the {int(evidence.span_s)} s analysed{where}{looked}."
    if not evidence.detector_ran and FACE not in labels:
        return (f"No analysed {unit}{where} mentions {things}; no object detector ran on them, so "
                "this is not a certain no.")  # fmt: skip
    among = f"any of the {count} analysed {unit}s"
    if count == 1 and evidence.live:
        among = f"the one analysed {unit}"
    over = f" (over {int(evidence.span_s)} s of video)" if not evidence.live else ""
    return f"No {things} were detected in {among}{where}{over}."


def count_answer(evidence: Evidence, label: str) -> str:
    """How many ``label`` were seen at once (at most, usually), citing where."""
    frames, where, ts, unit = evidence.frames, evidence.where, evidence.stamp, evidence.unit
    counts = [(seconds(f), label_count(f, label)) for f in frames]
    present = [(t, c) for t, c in counts if c]
    things = plural(label)
    if not counts_are_exact(frames, label):
        cited = present[-6:] if evidence.live else present[:6]
        return (
            f"The analysed {unit}s mention {things} in {len(present)} of {len(frames)} "
            f"{unit}s{where}, but no detector counted them: {' '.join(ts(t) for t, _ in cited)}."
        )
    peak = max(c for _, c in present)
    at_peak = [t for t, c in present if c == peak]
    # A stream cites its latest peak first; a video its first.
    first, others = (at_peak[-1], at_peak[-3:-1]) if evidence.live else (at_peak[0], at_peak[1:4])
    also = f" (also {' '.join(ts(t) for t in others)})" if others else ""
    when = f"when present, {_usually(sorted(c for _, c in present))}"
    if evidence.live:
        last_t, last_c = present[-1]
        when += f"; the latest: {counted(label, last_c or 0)} at {ts(last_t)}"
    lines = [
        f"At most {counted(label, peak)} at once{where}, at {ts(first)}{also}.",
        f"{things.capitalize()} are seen in {len(present)} of {len(frames)} analysed {unit}s; "
        f"{when}.",
    ]
    detector = "face detector" if label == FACE else "object detector"
    if evidence.live:
        lines.append(
            f"(Counted in each frame by the {detector}: the same {label} seen in several "
            f"frames is counted in each, so this is not a count of different {things}.)"
        )
        return "\n".join(lines)
    parts = _by_part(evidence, [(t, c or 0) for t, c in counts])
    if parts:
        lines.append("Over the video: " + "; ".join(parts) + ".")
    lines.append(f"(Counted by the {detector} on the analysed frames; far or hidden ones "
                 "may be missed.)")  # fmt: skip
    return "\n".join(lines)


def _usually(seen: list[int]) -> str:
    if seen[0] == seen[-1]:
        return f"always {seen[0]}"
    return f"usually {statistics.median_low(seen)} (from {seen[0]} to {seen[-1]})"


def _by_part(evidence: Evidence, counts: list[tuple[float, int]]) -> list[str]:
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
        span = f"{evidence.clock.format(part[0][0])}–{evidence.clock.format(part[-1][0])}"
        detail = f", up to {peak} at {evidence.stamp(peak_t)}" if peak else ""
        parts.append(f"about {mean:.1f} on average in {name} ({span}{detail})")
    return parts


def presence_answer(evidence: Evidence, label: str, intent: Intent, question: str) -> str:
    """The stretches in which ``label`` was in view (or, ``intent.absent``, known missing)."""
    stretches = presence_stretches(evidence.frames, label, absent=intent.absent)
    things, where, ts, unit = plural(label), evidence.where, evidence.stamp, evidence.unit
    if not stretches:  # only when absent: a label that was seen is in some stretch
        return f"No analysed {unit}{where} is known to be without {things}."
    asks_when = bool(_LATEST.search(question) or _EARLIEST.search(question))
    if evidence.live and not intent.absent and asks_when:
        return _latest_or_first(evidence, label, stretches, question)
    frames_in = sum(len(s.times) for s in stretches)
    state = f"without {things}" if intent.absent else f"{things} are visible"
    order = ", newest first" if evidence.live else ""
    lines = [f"{state[0].upper() + state[1:]}{where} in {len(stretches)} stretch"
             f"{'es' if len(stretches) > 1 else ''} ({frames_in} of {len(evidence.frames)} "
             f"analysed {unit}s){order}:"]  # fmt: skip
    shown = stretches[-MAX_STRETCHES:][::-1] if evidence.live else stretches[:MAX_STRETCHES]
    for stretch in shown:
        line = f"- at {ts(stretch.start_s)}"
        if len(stretch.times) > 1:
            line = f"- from {ts(stretch.start_s)} to {ts(stretch.end_s)}"
        if not intent.absent and stretch.peak_count > 1:
            line += f", up to {counted(label, stretch.peak_count)} at once"
            if len(stretch.times) > 1 or evidence.live:
                line += f" {ts(stretch.peak_s)}"
        lines.append(line)
    rest = len(stretches) - MAX_STRETCHES
    if rest > 0 and evidence.live:
        lines.append(f"- … and {rest} earlier stretches")
    elif rest > 0:
        last = stretches[-1].start_s
        lines.append(f"- … and {rest} more stretches, the last from {ts(last)}")
    return "\n".join(lines)


def _latest_or_first(
    evidence: Evidence, label: str, stretches: list[Stretch], question: str
) -> str:
    """A stream's "when was a car last (first) seen?": that stretch, and the one beside it."""
    things, where, ts = plural(label), evidence.where, evidence.stamp
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
        lines.append("(Whether it stopped is not measured: the frames say when it was in view.)")
    return " ".join(lines)
