"""Offline answers from the tracker's tracks (the same person or car followed across frames):
how many different ones, when the first arrives and when they leave, which way they go. Without
tracks (older sessions, other backends) the first and last sightings come from the analysed
moments, a distinct count or a heading is declined, and the answer says which it is.

Each statement cites the analysed moment nearest the time it names that shows the thing, since
a track's own times fall between the analysed moments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from videolens.chat.changes import HANDOVER_S, handovers
from videolens.chat.facts import label_count, presence_stretches, seconds
from videolens.chat.intents import Intent
from videolens.chat.offline.evidence import Evidence
from videolens.chat.vocabulary import counted, plural
from videolens.timeline.model import Track

MAX_LISTED = 8
MAX_HOURS = 24
"""The most hours a live stream's per-hour count lists (the latest)."""
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


def found_again_tracks(tracks: list[Track]) -> set[int]:
    """The tracks that most likely continue another (see ``changes.handovers``): what is left
    counts the things that passed through, one that comes back counted again."""
    return {track_id for track_id, side in handovers(tracks) if side == "start"}


def distinct_answer(evidence: Evidence, label: str) -> str:
    """How many different ``label`` the tracker followed, and when they came."""
    tracks = tracks_of(evidence, label)
    if not tracks:
        return _none_tracked(evidence, label, f" (the tracker followed {_tracked(evidence)})")
    where = evidence.where
    if len(tracks) == 1:
        only = tracks[0]
        return (f"1 {label} was tracked{where}, in view from {_time(evidence, only.first_s)} to "
                f"{_time(evidence, only.last_s)} "
                f"{_middle(evidence, only)}.")  # fmt: skip
    found_again_ids = found_again_tracks(tracks)
    found_again = len(found_again_ids)
    arrivals = [t for t in tracks if t.first_s > EDGE_S and t.track_id not in found_again_ids]
    first, last = tracks[0].first_s, tracks[-1].first_s
    when = (
        f"the first seen at {_time(evidence, first)} {cite(evidence, first, label)}, "
        f"the last to arrive at {_time(evidence, last)} {cite(evidence, last, label)}."
    )
    if found_again:
        # A track broken in two is one thing counted twice; the pairing is a likelihood, so
        # the answer gives both numbers and why.
        lines = [f"About {len(tracks) - found_again} {plural(label)} passed through{where}, "
                 f"one who leaves and comes back counted each time: {len(tracks)} were tracked, "
                 f"and {found_again} of those tracks began inside the frame within "
                 f"{HANDOVER_S:.0f} s of another ending there (most likely the same {label} "
                 f"found again); {when}"]  # fmt: skip
    else:
        lines = [f"{len(tracks)} different {plural(label)} were tracked{where}: {when}"]
    there = len(tracks) - found_again - len(arrivals)
    if arrivals and there:
        verb = "was" if there == 1 else "were"
        lines.append(f"{there} {verb} already in view at the start; {len(arrivals)} came later.")
    if found_again:
        # vtest.avi: 21 passages by hand, 12 people (the same actors walk in and out again).
        lines.append(f"(I can't tell whether a {label} who comes back is one seen before, so "
                     f"there may be fewer different {plural(label)}.)")  # fmt: skip
    else:
        lines.append(f"(Each is one {label} followed from frame to frame; one who leaves and "
                     "comes back, or is hidden for a while, may count twice.)")  # fmt: skip
    return " ".join(lines)


def _none_tracked(evidence: Evidence, label: str, note: str = "") -> str:
    """The answer when the tracker followed no ``label`` in the stretch."""
    return f"No {plural(label)} were tracked{evidence.where}{note}."


def _tracked(evidence: Evidence) -> str:
    found = Counter(t.label for t in evidence.tracks or [])
    if not found:
        return "nothing"
    return ", ".join(counted(label, n) for label, n in found.most_common(4))


def first_answer(evidence: Evidence, label: str) -> str:
    """When the first ``label`` is seen: its track's start and edge, or the first moment."""
    if evidence.tracks is None:
        return _first_in_moments(evidence, label)
    tracks = tracks_of(evidence, label)
    if not tracks:
        return _none_tracked(evidence, label)
    track = tracks[0]
    lines = [f"The first {label} is seen{evidence.where} at {_time(evidence, track.first_s)}, "
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
    if evidence.tracks is None:
        return _last_in_moments(evidence, label)
    tracks = tracks_of(evidence, label)
    if not tracks:
        return _none_tracked(evidence, label)
    where = evidence.where
    end_s = _end_s(evidence)
    gone = sorted((t for t in tracks if t.last_s < end_s - EDGE_S), key=lambda t: t.last_s)
    staying = len(tracks) - len(gone)
    still = f"; {staying} still in view at the end" if staying else ""
    if not gone:
        return f"No {label} leaves{where}: all {len(tracks)} tracked are in view at the end."
    if len(tracks) == 1:
        only = tracks[0]
        cited = cite(evidence, only.last_s, label)
        return (f"The {label} is last seen{where} at {_time(evidence, only.last_s)}, leaving "
                f"{_exit(evidence, only, end_s)} {cited}.")  # fmt: skip
    if intent.latest:
        last = gone[-1]
        return (f"The last {label} to leave{where} goes at {_time(evidence, last.last_s)}, "
                f"{_exit(evidence, last, end_s)} {cite(evidence, last.last_s, label)} "
                f"({len(gone)} of {len(tracks)} tracked leave{still}).")  # fmt: skip
    head = f"{len(gone)} of {len(tracks)} tracked {plural(label)} leave{where}{still}:"
    listed = _listed(evidence, gone, lambda t: t.last_s, lambda t: _exit(evidence, t, end_s))
    return "\n".join([head, *listed])


def _listed(
    evidence: Evidence,
    tracks: list[Track],
    at: Callable[[Track], float],
    how: Callable[[Track], str],
) -> list[str]:
    """One line per track (``- at 14:05:12, coming in at the left edge [14:05:12]``), the first
    ``MAX_LISTED``, then how many more."""
    lines = [f"- at {_time(evidence, at(t))}, {how(t)} {cite(evidence, at(t), t.label)}"
             for t in tracks[:MAX_LISTED]]  # fmt: skip
    if len(tracks) > MAX_LISTED:
        lines.append(f"- … and {len(tracks) - MAX_LISTED} more, the last at "
                     f"{_time(evidence, at(tracks[-1]))}")  # fmt: skip
    return lines


def _first_in_moments(evidence: Evidence, label: str) -> str:
    """Without tracks: the first analysed moment showing ``label``."""
    first = presence_stretches(evidence.frames, label)[0].start_s
    already = " (the first analysed moment: they may have been there from the start)"
    note = already if seconds(evidence.frames[0]) == first else ""
    return (f"{plural(label).capitalize()} are first seen{evidence.where} at "
            f"{evidence.stamp(first)}{note}; this analysis has no tracks, so arrivals between "
            "analysed moments are not timed.")  # fmt: skip


def _last_in_moments(evidence: Evidence, label: str) -> str:
    """Without tracks: where the analysed moments stop showing ``label``."""
    stretches = presence_stretches(evidence.frames, label)
    ends = [evidence.stamp(s.end_s) for s in stretches][-MAX_LISTED:]
    to_the_end = stretches[-1].end_s == seconds(evidence.frames[-1])
    note = " (the last analysed moment: they may still be there)" if to_the_end else ""
    stops = (
        f"; the analysed moments stop showing them at {', '.join(ends)}" if len(ends) > 1 else ""
    )
    return (f"{plural(label).capitalize()} are last seen{evidence.where} at {ends[-1]}{note}"
            f"{stops}. This analysis has no tracks, so who leaves when is not known.")  # fmt: skip


def direction_answer(evidence: Evidence, label: str) -> str:
    """Which way the tracked ``label`` go: their headings, counted, each with an example."""
    tracks = tracks_of(evidence, label)
    if not tracks:
        return _none_tracked(evidence, label)
    where = evidence.where
    if len(tracks) == 1:
        only = tracks[0]
        went = f"went {only.direction}" if only.direction else "stayed put"
        return f"The {label} tracked{where} {went} {_middle(evidence, only)}."
    headings = Counter(t.direction or "stayed put" for t in tracks)
    parts = []
    for heading, n in headings.most_common():
        example = next(t for t in tracks if (t.direction or "stayed put") == heading)
        parts.append(f"{n} {heading} (e.g. {_middle(evidence, example)})")
    return f"Of {len(tracks)} {plural(label)} tracked{where}: " + "; ".join(parts) + "."


def _middle(evidence: Evidence, track: Track) -> str:
    """The citation of the analysed moment nearest the middle of ``track``."""
    return cite(evidence, (track.first_s + track.last_s) / 2, track.label)


def no_tracks(question_kind: str) -> str:
    """Why a distinct count or a heading cannot be given: no tracking pass ran."""
    return (
        f"{question_kind} is only known from tracking, and this analysis has no tracks "
        "(it ran without the tracking pass)"
    )


def arrivals_answer(evidence: Evidence, label: str) -> str:
    """When each ``label`` came into view ("a person entered at 14:05:12"), from the tracks."""
    tracks = tracks_of(evidence, label)
    if not tracks:
        return _none_tracked(evidence, label)
    low = evidence.stream.low if evidence.stream is not None else 0.0
    came = [t for t in tracks if t.first_s > low + EDGE_S]
    there = len(tracks) - len(came)
    already = f" ({there} already in view{evidence.where or ' at the start'})" if there else ""
    if not came:
        return (
            f"No {label} entered{evidence.where}: all {len(tracks)} tracked were in view at first."
        )
    if len(came) == 1:
        only = came[0]
        return (f"A {label} entered{evidence.where} at {_time(evidence, only.first_s)}, "
                f"{_entry(evidence, only)} {cite(evidence, only.first_s, label)}"
                f"{already}.")  # fmt: skip
    head = f"{len(came)} {plural(label)} entered{evidence.where}{already}:"
    listed = _listed(evidence, came, lambda t: t.first_s, lambda t: _entry(evidence, t))
    return "\n".join([head, *listed])


def per_hour(evidence: Evidence, label: str) -> str:
    """A live stream's different ``label`` in each local clock hour its range touches
    ("Per hour: 13:00–14:00 5, 14:00–15:00 3."); "" within one hour. A track in view across
    the hour is counted in both."""
    timeline = evidence.stream
    tracks = tracks_of(evidence, label)
    if timeline is None or not tracks:
        return ""
    zone = timeline.zone
    start = zone.local(timeline.low).replace(minute=0, second=0, microsecond=0)
    hours: list[tuple[datetime, datetime]] = []
    while zone.at(start) < timeline.high and len(hours) <= MAX_HOURS:
        following = start + timedelta(hours=1)
        hours.append((start, following))
        start = following
    if len(hours) < 2:
        return ""
    counts = [
        f"{begin:%H:%M}\u2013{end:%H:%M} "
        f"{sum(t.first_s < zone.at(end) and t.last_s >= zone.at(begin) for t in tracks)}"
        for begin, end in hours[-MAX_HOURS:]
    ]
    return f"Per hour: {', '.join(counts)}."
