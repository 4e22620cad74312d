"""Chapters made without a chat model: they follow the shots and the changes in what is there.

A cut starts a chapter (titled from its on-screen text, a model's description, what is in view,
its first words spoken, in that order). Between cuts, the biggest changes start chapters too:
with tracks, people arriving and a car leaving; without, the analysed moments' counts moving
(``changes``). Those chapters are titled with what changes ("2 people arrive, 1 leaves"), never
with a peak count over the whole video.
"""

from __future__ import annotations

import re

from videolens.chat.changes import (
    STRONG,
    Change,
    change_title,
    changes_from_moments,
    changes_from_tracks,
)
from videolens.chat.extractive import chapter_title, positive_clauses
from videolens.chat.facts import SpokenSegment, ordered_frames, seconds, speech_track
from videolens.chat.timeline_text import detected_phrases
from videolens.timeline.model import Chapter, Moment, SessionDocument

MIN_CHAPTER_S = 1.5
"""The shortest chapter made from shots (a cut a moment after another, or a fade's two cuts, is
no chapter; Megamind.avi's 1.9 s shot is)."""
MIN_CHANGE_CHAPTER_S = 10.0
"""The shortest chapter a change (not a cut) starts: a crowd changes all the time."""
SAME_SHOT_S = 0.5
"""Shot starts closer than this are one cut."""
TIME_TOLERANCE_S = 0.001
"""A shot's first frame has the shot's start time exactly; a frame 40 ms earlier (the last of
the previous shot) must not title the chapter."""


def make_chapters(document: SessionDocument, max_chapters: int = 12) -> list[Chapter]:
    """The chapters of ``document``: one per shot (short ones merged), then one at each of the
    biggest changes between cuts, at most ``max_chapters``, the first at 0."""
    frames = ordered_frames(document)
    if not frames:
        return []
    duration = max(document.video.duration_s or 0.0, seconds(frames[-1]))
    cuts = _shot_starts(document, frames, duration, max_chapters)
    if document.tracks is not None:
        changes = changes_from_tracks(document.tracks, duration)
    else:
        changes = changes_from_moments(frames)
    starts = _change_starts(changes, cuts, duration, max_chapters)
    segments = speech_track(document).segments
    chapters: list[Chapter] = []
    bounds = sorted(cuts | starts)
    for start, following in zip(bounds, [*bounds[1:], None], strict=True):
        low = start - TIME_TOLERANCE_S
        high = following - TIME_TOLERANCE_S if following is not None else float("inf")
        inside = [f for f in frames if low <= seconds(f) < high]
        within = [c for c in changes if low <= c.at < high]
        if start in cuts:
            said = [s for s in segments if low <= s.start_s < high]
            shot = 1 + sum(1 for s in _all_starts(document, frames) if s < low)
            title = _cut_title(inside or [_frame_at(frames, low)], said, shot)
            strong = [c for c in within if c.weight >= STRONG and c.at > start + MIN_CHAPTER_S]
            if strong and not title.startswith("\u201c"):
                change = change_title(strong, most=1)
                title += "; " + change[:1].lower() + change[1:]
        else:
            title = change_title(within)
        chapters.append(Chapter(start_s=round(start, 3), title=title))
    # Neighbours with the same title are one chapter (the same text over two shots).
    return [c for i, c in enumerate(chapters) if i == 0 or c.title != chapters[i - 1].title]


def _shot_starts(
    document: SessionDocument, frames: list[Moment], duration: float, max_chapters: int
) -> set[float]:
    """The cuts that start chapters: 0 and each shot at least ``MIN_CHAPTER_S`` long (with too
    many shots, short ones merge into their neighbours), each showing an analysed moment."""
    ordered = _all_starts(document, frames)
    spacing = max(MIN_CHAPTER_S, duration / max_chapters if len(ordered) > max_chapters else 0.0)
    kept: list[float] = []
    for start in ordered:
        if not kept or start - kept[-1] >= spacing:
            kept.append(start)
    if len(kept) > 1 and duration - kept[-1] < MIN_CHAPTER_S:
        kept.pop()  # a last chapter too short to watch joins the one before
    # A chapter shows at least one analysed moment (a shot whose frames were all dropped by the
    # cap is part of the chapter before it), so there are never more chapters than moments.
    times = [seconds(f) for f in frames]
    shown = [
        s
        for i, s in enumerate(kept)
        if i == 0 or _any_between(times, s, kept[i + 1] if i + 1 < len(kept) else float("inf"))
    ]
    return {round(s, 3) for s in shown[:max_chapters]}


def _all_starts(document: SessionDocument, frames: list[Moment]) -> list[float]:
    """Every shot's start, 0 first (a frame marked as a shot's first a moment after the shot's
    stored start is that shot)."""
    starts = list(document.shots.starts_s) if document.shots is not None else []
    starts += [seconds(f) for f in frames if f.shot_start]
    distinct: list[float] = []
    for start in sorted({0.0, *starts}):
        if not distinct or start - distinct[-1] >= SAME_SHOT_S:
            distinct.append(start)
    return distinct


def _any_between(times: list[float], low: float, high: float) -> bool:
    return any(low - TIME_TOLERANCE_S <= t < high - TIME_TOLERANCE_S for t in times)


def _change_starts(
    changes: list[Change], cuts: set[float], duration: float, max_chapters: int
) -> set[float]:
    """The biggest changes, at least a chapter's length from a cut, each other and the end:
    strong ones (a thing appears or is gone) first, then those with most changes near them."""
    spacing = max(MIN_CHANGE_CHAPTER_S, duration / max_chapters)

    def near(change: Change) -> int:
        return sum(1 for c in changes if change.at <= c.at < change.at + spacing / 2)

    ranked = sorted(changes, key=lambda c: (-c.weight, -near(c), c.at))
    taken: set[float] = set()
    for change in ranked:
        if len(cuts) + len(taken) >= max_chapters:
            break
        at = round(change.at, 3)
        clear = all(abs(at - other) >= spacing for other in cuts | taken)
        if clear and duration - at >= spacing / 2:
            taken.add(at)
    return taken


def _cut_title(frames: list[Moment], said: list[SpokenSegment], shot: int) -> str:
    """A chapter that starts at a cut (the ``shot``-th): its text or a model's description,
    else what is in view at its start, else its words, else the description."""
    title = chapter_title(frames, said)
    start = frames[0]
    if any(f.text for f in frames) or (start.model not in ("", "basic") and start.description):
        return title
    seen = detected_phrases(start)
    if not seen and start.detections is not None and not said:
        # Without the "New shot." that ends a shot's first description: the chapter says so.
        plain = _NEW_SHOT.sub("", start.description)
        described = positive_clauses(plain).split(";")[0].strip()
        return described[:1].upper() + described[1:] if described else "Nothing detected"
    if not seen:
        return title
    view = _joined(seen[:3]) + " in view"
    return view[:1].upper() + view[1:] if shot == 1 else f"Shot {shot}: {view}"


_NEW_SHOT = re.compile(r"\s*new shot\.?\s*$", re.IGNORECASE)


def _joined(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _frame_at(frames: list[Moment], at: float) -> Moment:
    return next((f for f in frames if seconds(f) >= at), frames[-1])
