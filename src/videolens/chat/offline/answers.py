"""The offline answer: the question's intent (``intents.classify``) picks what to read, and
each statement cites the frames it rests on; a question no intent covers gets the frames that
match it best (a stream's, when no word matches, the newest frames or those nearest the moment
named).
"""

from __future__ import annotations

from videolens.chat.facts import label_count
from videolens.chat.intents import classify
from videolens.chat.offline.detections import count_answer, none_seen, presence_answer
from videolens.chat.offline.evidence import PREFIX, Evidence
from videolens.chat.offline.overviews import summary_answer
from videolens.chat.offline.readings import speech_answer, text_answer
from videolens.chat.retrieval import Context

MAX_MOMENTS = 5
RELEVANT_SHARE_OF_BEST = 0.5


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
    if intent.kind in ("count", "presence"):
        # "vehicle" means car, truck, bus or motorcycle: answer for those that were seen.
        seen = [x for x in intent.labels if any(label_count(f, x) for f in evidence.frames)]
        if not seen:
            return f"{PREFIX}. {none_seen(evidence, intent.labels)}"
        if intent.kind == "count":
            parts = [count_answer(evidence, label) for label in seen[:3]]
        else:
            parts = [presence_answer(evidence, label, intent, question) for label in seen[:3]]
        return f"{PREFIX}. " + "\n\n".join(parts)
    return moments_answer(evidence, context)


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
