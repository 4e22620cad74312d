"""Context for a question about a live stream: the frames of its range that matter most, and an
overview of the range, all in local wall-clock time.

Ranking is the session chat's (``TimelineIndex.relevance``: BM25 over descriptions, on-screen
text and detections, plus embeddings when the ``Retriever`` has an embedder), with the wall-clock
parts the stream adds: the moment a question names ("at 14:05:12") pulls its nearest frames
first; "last"/"latest" favour recent frames, "first"/"earliest" early ones; and when no word
matches, the newest frames of the range stand in (a live stream's "what is happening?").
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from videolens.chat.live_timeline import StreamTimeline, at_of
from videolens.chat.retrieval import Embedder, Retriever, TimelineIndex
from videolens.chat.selection import Context, Ranking, estimate_tokens, fill_budget
from videolens.chat.timeline_text import text_tokens

OVERVIEW_SHARE = 0.3
_LATEST = re.compile(r"\b(last|latest|most recent(?:ly)?|recent(?:ly)?|newest)\b", re.I)
_EARLIEST = re.compile(r"\b(first|earliest|oldest)\b", re.I)
# Less budget than this left: no frame's line fits any more.
MIN_LINE_TOKENS = 8


def stream_scores(
    timeline: StreamTimeline, question: str, index: TimelineIndex, embedder: Embedder | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(score of each frame, its Unix time, its relevance to the question's words);
    ``index`` is the ``Retriever``'s index of ``timeline.document()``."""
    at = timeline.origin + index.timestamps
    if not len(at):
        return np.zeros(0), at, np.zeros(0)
    words = bool(text_tokens(question))
    relevance = index.relevance(question, embedder) if words else np.zeros(len(at))
    matched = bool(relevance.max() > 0)
    span = float(at.max() - at.min()) or 1.0
    recency = (at - at.min()) / span
    lean = 0.5 if _LATEST.search(question) else -0.5 if _EARLIEST.search(question) else 0.2
    # Relevance decides; among near-equal matches the recent ones (or the early ones) win.
    score = np.where(relevance > 0, relevance * (1.0 + lean * (recency - 0.5)), 0.0)
    focus = timeline.wall.focus_at if timeline.wall is not None else None
    if focus is not None:
        score = score + 2.0 / (1.0 + np.abs(at - focus) / index.time_scale_s)
    elif not matched:
        score = 1.0 / (1.0 + (float(at.max()) - at) / index.time_scale_s)
    return score, at, relevance


def select_context(
    timeline: StreamTimeline,
    question: str,
    budget_tokens: int,
    retriever: Retriever,
    *,
    with_overview: bool = True,
) -> Context:
    """Fill ``budget_tokens`` with the overview (unless not ``with_overview``: answers without a
    model do not show it) and the best-scoring distinct frames."""
    overview = overview_text(timeline, int(budget_tokens * OVERVIEW_SHARE)) if with_overview else ""
    left = budget_tokens - estimate_tokens(overview)
    index = retriever.index(timeline.document())
    score, at, relevance = stream_scores(timeline, question, index, retriever.embedder)
    matched = bool(len(relevance) and relevance.max() > 0)
    ranking = Ranking(
        score, at, timeline.clock, newest_first=True, candidates=None, min_tokens=MIN_LINE_TOKENS
    )
    moments, left = fill_budget(index, ranking, left)
    return Context(question, moments, overview, budget_tokens - left, matched=matched, unit="frame")


def overview_text(timeline: StreamTimeline, budget_tokens: int) -> str:
    """What the range holds: the zone, the range, its frames, gaps, events and shots."""
    stream, zone = timeline.stream, timeline.zone
    name = f" {stream.name!r}" if stream.name else ""
    head = [
        f"Live stream{name} (status: {stream.status}). Times are local wall-clock times "
        f"({zone.describe(timeline.now)}); now it is {zone.clock(timeline.now, True)}.",
    ]
    where = timeline.where().strip()
    head.append(f"Range asked about: {where}." if where else "Range: all the stored frames.")
    frames = timeline.frames
    if frames:
        first, last = at_of(frames[0]), at_of(frames[-1])
        head.append(
            f"{len(frames)} analysed frames in it, from {timeline.stamp(first)} to "
            f"{timeline.stamp(last)}"
            + (" (only the newest were read)." if timeline.truncated else ".")
        )
    if not timeline.with_date:
        head.append(f"All times are on {timeline.dates()[0].isoformat()}.")
    for gap in timeline.gaps()[:5]:
        head.append(
            f"Not watched from {timeline.clock.format(gap.start_at)} to "
            f"{timeline.clock.format(gap.end_at)} ({gap.reason or 'source down'})."
        )
    events = timeline.event_counts(8)
    if events:
        head.append(f"Events the stream's rules raised: {', '.join(events)}.")
    return _fit(head, _shots(timeline), budget_tokens)


def _shots(timeline: StreamTimeline) -> list[str]:
    """One line per shot (a new scene), skipping repeats of the previous line."""
    lines: list[str] = []
    previous = None
    for frame in timeline.frames:
        if frame.shot_start or previous is None:
            line = timeline.line(frame)
            body = line.split("] ", 1)[-1]
            if body != previous:
                lines.append(line)
                previous = body
    return lines


def _fit(head: list[str], shots: list[str], budget_tokens: int) -> str:
    """The head, then as many shot lines as fit, spread evenly over the range."""
    text = "\n".join(head)
    keep = len(shots)
    while keep > 0:
        picked = [shots[round(i * (len(shots) - 1) / max(1, keep - 1))] for i in range(keep)]
        candidate = "\n".join([*head, "Shots (overview):", *dict.fromkeys(picked)])
        if estimate_tokens(candidate) <= budget_tokens or keep == 1:
            return candidate if estimate_tokens(candidate) <= budget_tokens else text
        keep = keep * 2 // 3
    return text
