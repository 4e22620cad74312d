"""The offline answer: the question's kind (``intents.classify``, the table in
``question_kinds``) picks what to read, and each statement cites the frames it rests on. A kind
the offline mode cannot answer gets one plain sentence saying so and what it can say instead;
only a question that looks for moments ("where is the EXIT?") gets the moments that match it
best (a stream's, when no word matches, the newest frames or those nearest the moment named).
"""

from __future__ import annotations

import re

from videolens.chat.facts import label_count
from videolens.chat.intents import Intent, classify
from videolens.chat.offline.colours import colour_answer
from videolens.chat.offline.detections import count_answer, none_seen, presence_answer
from videolens.chat.offline.evidence import PREFIX, Evidence
from videolens.chat.offline.overviews import summary_answer
from videolens.chat.offline.readings import speech_answer, text_answer
from videolens.chat.offline.tracks import (
    arrivals_answer,
    direction_answer,
    distinct_answer,
    first_answer,
    found_again_tracks,
    leave_answer,
    no_tracks,
    per_hour,
    track_labels,
    tracks_of,
)
from videolens.chat.question_kinds import CAN_SAY, declined_sentence
from videolens.chat.retrieval import Context
from videolens.chat.vocabulary import plural

MAX_MOMENTS = 5
MAX_LABELS = 3
RELEVANT_SHARE_OF_BEST = 0.5
_ARRIVALS = re.compile(r"\b(enter\w*|arriv\w*|c[oa]me in|com(?:es|ing) in)\b", re.I)
"""A question about when things came ("when did a person enter?"): with tracks, their entries."""


def offline_answer(evidence: Evidence, question: str, context: Context) -> str:
    """The retrieval-only answer to ``question`` (a stream's: without its time phrase) from
    ``evidence``; ``context`` holds the moments ranked for it."""
    intent = classify(question)
    evidence = evidence.narrowed(intent.anchor)
    if intent.kind == "summary":
        return summary_answer(evidence)
    if intent.kind == "text":
        return text_answer(evidence)
    if intent.kind == "speech":
        return speech_answer(evidence, intent)
    if intent.kind == "declined":
        return f"{PREFIX}. {declined_sentence(intent.declined or 'other')}"
    if intent.kind == "find":
        return moments_answer(evidence, context)
    return f"{PREFIX}. {_about_things(evidence, intent, question)}"


def _about_things(evidence: Evidence, intent: Intent, question: str) -> str:
    """The answer about the detected things the question names (or, for "which way do they
    go?", those tracked)."""
    labels = track_labels(evidence, intent)
    if intent.kind == "direction" and evidence.tracks is None:
        return (f"{no_tracks('Which way things go')}; ask \u201cwhen do people walk past?\u201d "
                "for when they are in view.")  # fmt: skip
    if not labels:
        if intent.kind == "distinct" and evidence.tracks is None:
            return f"{no_tracks('How many different things pass')}; offline, I can {CAN_SAY}."
        return declined_sentence("other")
    # "vehicle" means car, truck, bus or motorcycle: answer for those that were seen.
    seen = [x for x in labels if _seen(evidence, x)]
    if not seen:
        return none_seen(evidence, tuple(labels))
    return "\n\n".join(_about(evidence, label, intent, question) for label in seen[:MAX_LABELS])


def _seen(evidence: Evidence, label: str) -> bool:
    return bool(tracks_of(evidence, label)) or any(label_count(f, label) for f in evidence.frames)


def _about(evidence: Evidence, label: str, intent: Intent, question: str) -> str:
    kind, things = intent.kind, plural(label)
    if kind == "distinct" and evidence.tracks is not None:
        hourly = per_hour(evidence, label)
        return distinct_answer(evidence, label) + (f"\n{hourly}" if hourly else "")
    if kind == "distinct":
        return (f"{no_tracks(f'How many different {things} there are')}. What the analysed "
                f"moments count is how many at once:\n{count_answer(evidence, label)}")  # fmt: skip
    if kind == "count":
        counted = count_answer(evidence, label)
        tracks = tracks_of(evidence, label)
        found_again = len(found_again_tracks(tracks))
        if tracks and found_again:
            counted += (f"\n(The tracker followed about {len(tracks) - found_again} {things} "
                        "passing through, one who comes back counted again.)")  # fmt: skip
        elif tracks:
            counted += f"\n(The tracker followed {len(tracks)} different {things} in all.)"
        return counted
    if kind == "direction":
        return direction_answer(evidence, label)
    if kind == "colour":
        measured = colour_answer(evidence, label, question)
        if measured is not None:
            return measured[0].upper() + measured[1:]
        return (
            f"The colour of {things} was not measured in this analysis, so I can't tell it; "
            f"ask \u201cwhen are {things} visible?\u201d for when they are in view."
        )
    if kind in ("first", "leave") and (not evidence.live or evidence.tracks is not None):
        if kind == "first":
            return first_answer(evidence, label)
        return leave_answer(evidence, label, intent)
    if kind == "presence" and evidence.tracks is not None and _ARRIVALS.search(question):
        return arrivals_answer(evidence, label)
    return presence_answer(evidence, label, intent, question)


def moments_answer(evidence: Evidence, context: Context) -> str:
    """The best-matching moments, leaving out those far below the best: shown without a model
    to judge them, moments that share only common words ("on screen") read as answers too."""
    moments, unit = context.moments, evidence.unit
    if context.matched and not moments:
        return f"{PREFIX}: no analysed {unit} matches this question."
    if context.matched:
        best = max(m.score for m in moments)
        chosen = [m for m in moments if m.score >= RELEVANT_SHARE_OF_BEST * best][:MAX_MOMENTS]
        head = f"the best-matching {unit}s"
        head += f"{evidence.where}, best first:" if evidence.live else ":"
    else:
        chosen = moments[:MAX_MOMENTS]  # ranked by nearness to the moment named, or recency
        wall = evidence.stream.wall if evidence.stream is not None else None
        focus = wall.focus_at if wall is not None else None
        near = f"nearest {evidence.clock.format(focus)}" if focus is not None else "newest"
        head = f"no {unit}{evidence.where} matches the question's words; the {near} {unit}s:"
    if evidence.stream is not None:
        evidence.stream.shown.update(m.timestamp_s for m in chosen)
    return "\n".join([f"{PREFIX} — {head}", *[f"- {m.line}" for m in chosen]])
