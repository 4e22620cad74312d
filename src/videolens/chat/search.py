"""Ranked moments for a text query, in one session or across several.

Scores are the retrieval ranking (BM25 over descriptions, on-screen text, structured fields and
detections — "face" finds the frames with faces, "people" those with people — and over the
transcribed speech, plus the query's time anchor). A speech hit (``kind`` "speech") carries the
segment's words as its description and the analysed frame nearest its start as its frame.
Across sessions the raw scores are merged: BM25 weighs a word by how rare it is within its
session, which is close enough to compare matches between sessions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from videolens.chat.facts import speech_track
from videolens.chat.retrieval import Retriever
from videolens.chat.timeparse import format_timestamp


@dataclass(frozen=True)
class SearchHit:
    """One matching moment."""

    session_id: str
    frame_index: int
    timestamp_s: float
    timestamp: str
    score: float
    description: str
    text: list[str]
    image: str | None
    kind: str = "frame"
    end_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def search_session(
    document: dict[str, Any],
    query: str,
    limit: int = 20,
    retriever: Retriever | None = None,
) -> list[SearchHit]:
    """The ``limit`` best-matching moments of one session, best first (none if nothing matches)."""
    index = (retriever or Retriever()).index(document)
    scores = index.scores(query)
    if not len(scores) or limit <= 0:
        return []
    count = min(limit, len(scores))
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.lexsort((index.timestamps[top], -scores[top]))]  # ties: earliest first
    frames = sorted(document.get("frames") or [], key=lambda f: float(f["timestamp_s"]))
    by_index = {int(f["index"]): f for f in frames}
    speech = {s.index: s for s in speech_track(document).segments}
    hits = []
    for i in top.tolist():
        if scores[i] <= 0:
            break
        seconds = float(index.timestamps[i])
        if index.kinds[i] == "speech":
            segment = speech[index.indexes[i]]
            frame = _nearest(frames, seconds)
            if frame is None:
                continue
            description, text = f'speech: "{segment.text}"', []
            kind, end_s = "speech", segment.end_s
        else:
            frame = by_index[index.indexes[i]]
            description = str(frame.get("description") or "")
            text = [str(t) for t in frame.get("text") or []]
            kind, end_s = "frame", None
        hits.append(
            SearchHit(
                session_id=index.session_id,
                frame_index=int(frame["index"]),
                timestamp_s=seconds,
                timestamp=format_timestamp(seconds),
                score=round(float(scores[i]), 4),
                description=description,
                text=text,
                image=frame.get("image"),
                kind=kind,
                end_s=end_s,
            )
        )
    return hits


def _nearest(frames: list[dict[str, Any]], seconds: float) -> dict[str, Any] | None:
    return min(frames, key=lambda f: abs(float(f["timestamp_s"]) - seconds), default=None)


def search_sessions(
    documents: Iterable[dict[str, Any]],
    query: str,
    limit: int = 20,
    retriever: Retriever | None = None,
) -> list[SearchHit]:
    """The best moments across ``documents`` (the caller picks the sessions a key may see)."""
    retriever = retriever or Retriever()
    merged: list[SearchHit] = []
    for document in documents:
        merged += search_session(document, query, limit, retriever)
    merged.sort(key=lambda h: (-h.score, h.session_id, h.timestamp_s))
    return merged[:limit]
