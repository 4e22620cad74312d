"""Offline answers from the tracker's tracks (the same person or car followed across frames):
how many different ones, when the first arrives and when they leave, which way they go. Without
tracks (older sessions, other backends) the first and last sightings come from the analysed
moments, a distinct count or a heading is declined, and the answer says which it is.

Each statement cites the analysed moment nearest the time it names that shows the thing, since
a track's own times fall between the analysed moments.
"""

from __future__ import annotations

from collections import Counter

from videolens.chat.facts import label_count, presence_stretches, seconds
from videolens.chat.intents import Intent
from videolens.chat.offline.evidence import Evidence
from videolens.chat.vocabulary import counted, plural
from videolens.timeline.model import Track

MAX_LISTED = 8
EDGE_S = 1.0
"""A track this close to the video's start (end) was already (still) in view."""


def track_labels(evidence: Evidence, intent: Intent) -> list[str]:
    """The labels asked about, or (none named: "which way do they go?") those tracked,
    people first."""
    if intent.labels:
        return list(intent.labels)
    found = Counter(t.label for t in evidence.tracks or [])
    return sorted(found, key=lambda label: (label != "person", -found[label], label))


def tracks_of(evidence: Evidence, label: str) -> list[Track]:
    """The tracks of ``label`` in the stretch, by first sight."""
    return [t for t in evidence.tracks or [] if t.label == label]


def cite(evidence: Evidence, at: float, label: str | None = None) -> str:
    """``[mm:ss]`` of the analysed moment nearest ``at`` that shows ``label`` (any moment when
    none does): the evidence a reader can open for a time between the moments."""
    frames = evidence.frames
    showing = [f for f in frames if label is None or label_count(f, label)]
    nearest = min(showing or frames, key=lambda f: abs(seconds(f) - at))
    return evidence.stamp(seconds(nearest))


def _time(evidence: Evidence, at: float) -> str:
    return evidence.clock.format(at)


def _entry(evidence: Evidence, track: Track) -> str:
    if track.first_s <= EDGE_S:
        return "already in view at the start"
    if track.entered in ("left", "right", "top", "bottom"):
        return f"coming in at the {track.entered} edge"
    return "appearing inside the frame"


def _exit(evidence: Evidence, track: Track, end_s: float) -> str:
    if track.last_s >= end_s - EDGE_S:
        return "still in view at the end"
    if track.exited in ("left", "right", "top", "bottom"):
        return f"at the {track.exited} edge"
    return "inside the frame (hidden or too far to follow)"


def _end_s(evidence: Evidence) -> float:
    duration = evidence.document.video.duration_s if evidence.document is not None else None
    last = max((t.last_s for t in evidence.tracks or []), default=0.0)
    return max(duration or 0.0, last)


def distinct_answer(evidence: Evidence, label: str) -> str:
    """How many different ``label`` the tracker followed, and when they came."""
    tracks = tracks_of(evidence, label)
    things, where = plural(label), evidence.where
    if not tracks:
        return f"No {things} were tracked{where} (the tracker followed {_tracked(evidence)})."
    arrivals = [t for t in tracks if t.first_s > EDGE_S]
    head = f"{len(tracks)} different {things if len(tracks) > 1 else label}"
    lines = [f"{head} {'were' if len(tracks) > 1 else 'was'} tracked{where}: the first seen at "
             f"{_time(evidence, tracks[0].first_s)} {cite(evidence, tracks[0].first_s, label)}, "
             f"the last to arrive at {_time(evidence, tracks[-1].first_s)} "
             f"{cite(evidence, tracks[-1].first_s, label)}."]  # fmt: skip
    there = len(tracks) - len(arrivals)
    if arrivals and there:
        verb = "was" if there == 1 else "were"
        lines.append(f"{there} {verb} already in view at the start; {len(arrivals)} came later.")
    lines.append(f"(Each is one {label} followed from frame to frame; one who leaves and comes "
                 "back, or is hidden for a while, may count twice.)")  # fmt: skip
    return " ".join(lines)


def _tracked(evidence: Evidence) -> str:
    found = Counter(t.label for t in evidence.tracks or [])
    if not found:
        return "nothing"
    return ", ".join(counted(label, n) for label, n in found.most_common(4))


def first_answer(evidence: Evidence, label: str) -> str:
    """When the first ``label`` is seen: its track's start and edge, or the first moment."""
    things, where = plural(label), evidence.where
    tracks = tracks_of(evidence, label)
    if evidence.tracks is None:
        stretches = presence_stretches(evidence.frames, label)
        first = stretches[0].start_s
        already = " (the first analysed moment: it may have been there from the start)"
        note = already if seconds(evidence.frames[0]) == first else ""
        return (f"{things.capitalize()} are first seen{where} at {evidence.stamp(first)}{note}; "
                "this analysis has no tracks, so arrivals between analysed moments are not "
                "timed.")  # fmt: skip
    if not tracks:
        return f"No {things} were tracked{where}."
    track = tracks[0]
    lines = [f"The first {label} is seen{where} at {_time(evidence, track.first_s)}, "
             f"{_entry(evidence, track)} {cite(evidence, track.first_s, label)}."]  # fmt: skip
    arrivals = [t for t in tracks[1:] if t.first_s > EDGE_S][:3]
    if track.first_s <= EDGE_S and arrivals:
        lines.append(f"The first to arrive later comes at {_time(evidence, arrivals[0].first_s)},"
                     f" {_entry(evidence, arrivals[0])} "
                     f"{cite(evidence, arrivals[0].first_s, label)}.")  # fmt: skip
    return " ".join(lines)


def leave_answer(evidence: Evidence, label: str, intent: Intent) -> str:
    """When ``label`` leaves: the tracks' exits (the last one first when ``intent.latest``),
    or where the analysed moments stop showing it."""
    things, where = plural(label), evidence.where
    if evidence.tracks is None:
        stretches = presence_stretches(evidence.frames, label)
        ends = [evidence.stamp(s.end_s) for s in stretches][-MAX_LISTED:]
        return (f"{things.capitalize()} are last seen{where} at {ends[-1]}; the analysed moments"
                f" stop showing them at {', '.join(ends)}. This analysis has no tracks, so who "
                "leaves when is not known.")  # fmt: skip
    tracks = tracks_of(evidence, label)
    if not tracks:
        return f"No {things} were tracked{where}."
    end_s = _end_s(evidence)
    gone = sorted((t for t in tracks if t.last_s < end_s - EDGE_S), key=lambda t: t.last_s)
    staying = len(tracks) - len(gone)
    still = f"; {staying} still in view at the end" if staying else ""
    if not gone:
        return f"No {label} leaves{where}: all {len(tracks)} tracked are in view at the end."
    if intent.latest:
        last = gone[-1]
        return (f"The last {label} to leave{where} goes at {_time(evidence, last.last_s)}, "
                f"{_exit(evidence, last, end_s)} {cite(evidence, last.last_s, label)} "
                f"({len(gone)} of {len(tracks)} tracked leave{still}).")  # fmt: skip
    lines = [f"{len(gone)} of {len(tracks)} tracked {plural(label)} leave{where}{still}:"]
    for track in gone[:MAX_LISTED]:
        lines.append(f"- at {_time(evidence, track.last_s)}, {_exit(evidence, track, end_s)} "
                     f"{cite(evidence, track.last_s, label)}")  # fmt: skip
    if len(gone) > MAX_LISTED:
        lines.append(f"- … and {len(gone) - MAX_LISTED} more, the last at "
                     f"{_time(evidence, gone[-1].last_s)}")  # fmt: skip
    return "\n".join(lines)


def direction_answer(evidence: Evidence, label: str) -> str:
    """Which way the tracked ``label`` go: their headings, counted, each with an example."""
    tracks = tracks_of(evidence, label)
    things, where = plural(label), evidence.where
    if not tracks:
        return f"No {things} were tracked{where}."
    headings = Counter(t.direction or "stayed put" for t in tracks)
    parts = []
    for heading, n in headings.most_common():
        example = next(t for t in tracks if (t.direction or "stayed put") == heading)
        middle = (example.first_s + example.last_s) / 2
        parts.append(f"{n} {heading} (e.g. {cite(evidence, middle, label)})")
    return f"Of {len(tracks)} {things} tracked{where}: " + "; ".join(parts) + "."


def no_tracks(question_kind: str) -> str:
    """Why a distinct count or a heading cannot be given: no tracking pass ran."""
    return (
        f"{question_kind} is only known from tracking, and this analysis has no tracks "
        "(it ran without the tracking pass)"
    )
