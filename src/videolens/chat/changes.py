"""What changes in what is in view: people arrive, a car leaves, the street empties.

With tracks, each arrival and departure is a change at its own time. Without them, changes are
read from the analysed moments' counts: a thing that appears or is gone (for more than one
moment), or a count that moves to another level (about 3 people, then about 7). Chapters start
at the biggest changes and are titled with them.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from videolens.chat.facts import seconds, structured_counts
from videolens.chat.vocabulary import FACE, counted, plural
from videolens.timeline.model import Moment, Track

ChangeKind = Literal["arrives", "leaves", "appears", "gone", "more", "fewer"]

EDGE_S = 1.0
"""A track this close to the start (end) was already (still) in view: no arrival (departure)."""
LEVEL_RUN = 3
"""Moments on each side of a count change compared (their median)."""
LEVEL_STEP = 2
"""The least a count must move, and by at least ``LEVEL_SHARE`` of its level, to be a change."""
LEVEL_SHARE = 0.4
HANDOVER_S = 4.0
"""A track ending inside the frame and another of its kind beginning inside it this close in
time are one thing's track broken in two (see ``changes_from_tracks``)."""
STRONG = 3
"""Weight of a change that makes a thing appear or vanish altogether."""


@dataclass(frozen=True)
class Change:
    """One change at ``at`` seconds: ``label`` ``kind`` (``before``/``after``: the levels of a
    count change); ``weight`` ranks it (``STRONG``: a thing appears or is gone)."""

    at: float
    label: str
    kind: ChangeKind
    weight: int = 1
    before: int = 0
    after: int = 0


def changes_from_tracks(tracks: list[Track], end_s: float) -> list[Change]:
    """Arrivals and departures; strong when the label was absent before (is absent after).

    A track that begins inside the frame a moment after another of its kind ended inside it is
    that one found again (the detector missed it for a few frames, or the tracker gave it a new
    id), not an arrival and a departure: on vtest.avi 18 of 33 person tracks began mid-road, and
    the chapter from 00:12 was titled "7 people arrive, 5 leave" from them."""
    broken = handovers(tracks)
    events: list[tuple[float, int, Track]] = []
    for track in tracks:
        if track.first_s > EDGE_S and (track.track_id, "start") not in broken:
            events.append((track.first_s, 1, track))
        if track.last_s < end_s - EDGE_S and (track.track_id, "end") not in broken:
            events.append((track.last_s, -1, track))
    changes = []
    for at, step, track in sorted(events, key=lambda e: (e[0], e[1])):
        before = _in_view(tracks, track.label, at, leaving=step < 0, after=False)
        after = _in_view(tracks, track.label, at, leaving=step < 0, after=True)
        strong = before == 0 or after == 0
        kind: ChangeKind = "arrives" if step > 0 else "leaves"
        changes.append(Change(at, track.label, kind, STRONG if strong else 1, before, after))
    return changes


def handovers(tracks: list[Track]) -> set[tuple[int, str]]:
    """The ends and starts inside the frame that pair up as one thing's broken track (within
    ``HANDOVER_S`` of each other, nearest first); each is no arrival or departure."""
    inside_ends = [t for t in tracks if t.exited == "inside"]
    inside_starts = [t for t in tracks if t.entered == "inside"]
    pairs = sorted(
        (abs(later.first_s - ended.last_s), ended.track_id, later.track_id)
        for ended in inside_ends
        for later in inside_starts
        if later.track_id != ended.track_id
        and later.label == ended.label
        and later.first_s > ended.first_s
        and abs(later.first_s - ended.last_s) <= HANDOVER_S
    )
    paired: set[tuple[int, str]] = set()
    for _, ended_id, later_id in pairs:
        if (ended_id, "end") in paired or (later_id, "start") in paired:
            continue
        paired |= {(ended_id, "end"), (later_id, "start")}
    return paired


def _in_view(tracks: list[Track], label: str, at: float, *, leaving: bool, after: bool) -> int:
    """How many ``label`` tracks are in view just before (``after``: just after) an arrival or a
    departure (``leaving``) at ``at``: one arriving counts after it, one leaving before it."""

    def there(track: Track) -> bool:
        if leaving:
            return (
                track.first_s <= at < track.last_s if after else track.first_s <= at <= track.last_s
            )
        return track.first_s <= at <= track.last_s if after else track.first_s < at <= track.last_s

    return sum(1 for track in tracks if track.label == label and there(track))


def changes_from_moments(frames: list[Moment]) -> list[Change]:
    """Changes in the moments' counts, each label's smoothed over three moments (one moment's
    miss or false box is no change)."""
    series: dict[str, list[int]] = {}
    for i, frame in enumerate(frames):
        for label, count in structured_counts(frame).items():
            if label != FACE:
                series.setdefault(label, [0] * len(frames))[i] = count
    times = [seconds(f) for f in frames]
    changes: list[Change] = []
    for label, counts in series.items():
        smooth = [statistics.median_low(counts[max(0, i - 1) : i + 2]) for i in range(len(counts))]
        changes += _presence_changes(label, smooth, times) + _level_changes(label, smooth, times)
    return sorted(changes, key=lambda c: c.at)


def _presence_changes(label: str, smooth: list[int], times: list[float]) -> list[Change]:
    changes = []
    for i in range(1, len(smooth)):
        was, now = smooth[i - 1], smooth[i]
        if (was == 0) != (now == 0):
            kind: ChangeKind = "appears" if now else "gone"
            changes.append(Change(times[i], label, kind, STRONG, was, now))
    return changes


def _level_changes(label: str, smooth: list[int], times: list[float]) -> list[Change]:
    """The biggest step of each run of moments where the count before and after differ."""
    best: dict[int, Change] = {}
    run = 0
    for i in range(LEVEL_RUN, len(smooth) - LEVEL_RUN + 1):
        before = statistics.median_low(smooth[i - LEVEL_RUN : i])
        after = statistics.median_low(smooth[i : i + LEVEL_RUN])
        step = abs(after - before)
        if not before or not after or step < max(LEVEL_STEP, LEVEL_SHARE * before):
            run += 1
            continue
        kind: ChangeKind = "more" if after > before else "fewer"
        change = Change(times[i], label, kind, 1, before, after)
        held = best.get(run)
        if held is None or step > abs(held.after - held.before):
            best[run] = change
    return list(best.values())


def change_title(changes: list[Change], most: int = 2) -> str:
    """A chapter title from its changes, the things that appear or vanish altogether first:
    ``a dog comes and goes; 2 people arrive, 1 leaves`` (``most`` things named)."""
    by_label: dict[str, list[Change]] = {}
    for change in changes:
        by_label.setdefault(change.label, []).append(change)

    def rank(label: str) -> tuple[int, float]:
        top = max(c.weight for c in by_label[label])
        return (-top, min(c.at for c in by_label[label] if c.weight == top))

    parts = [_label_phrase(label, by_label[label]) for label in sorted(by_label, key=rank)[:most]]
    title = "; ".join(p for p in parts if p)
    return title[:1].upper() + title[1:]


def _label_phrase(label: str, changes: list[Change]) -> str:
    kinds = Counter(c.kind for c in changes)
    arrive, leave = kinds["arrives"], kinds["leaves"]
    if arrive == leave == 1 and changes[0].kind == "arrives" and changes[-1].after == 0:
        return f"{counted(label, 1)} comes and goes"
    if leave == 1 and not arrive and changes[-1].after == 0:
        return f"the last {label} leaves"
    said = []
    if arrive:
        said.append(f"{counted(label, arrive)} arrive{'s' if arrive == 1 else ''}")
    if leave:
        who = str(leave) if arrive else counted(label, leave)
        said.append(f"{who} leave{'s' if leave == 1 else ''}")
    if (arrive or leave) and changes[-1].after == 0:
        said[-1] += " (none left)"
    shown = [c for c in changes if c.kind in ("appears", "gone")]
    if len(shown) > 1 and shown[0].kind == "appears":
        peak = max(c.after for c in shown)
        said.append(f"{counted(label, peak)} {'comes and goes' if peak == 1 else 'come and go'}")
    elif shown:
        said.append(_presence_phrase(label, shown[-1]))
    levels = [c for c in changes if c.kind in ("more", "fewer")]
    if levels and not shown:
        last = levels[-1]
        said.append(f"{last.kind} {plural(label)} (about {last.before} \u2192 {last.after})")
    return ", ".join(said)


def _presence_phrase(label: str, change: Change) -> str:
    """``a truck comes into view``, ``2 people come into view``, ``the dog is gone``."""
    if change.kind == "appears":
        return f"{counted(label, change.after)} come{'s' if change.after == 1 else ''} into view"
    if change.before == 1:
        return f"the {label} is gone"
    return f"the {plural(label)} are gone"
