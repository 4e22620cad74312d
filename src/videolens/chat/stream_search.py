"""Ranked frames of a live stream for a text query, in a wall-clock range.

The query is read like a chat question: a time phrase in it ("car in the last 10 minutes",
"EXIT since 14:00") narrows the range, as the caller's ``since``/``until`` do, and the rest is
ranked by the session search's retrieval (``stream_retrieval.stream_scores``). Only frames that
match the words are hits; a query that is only a time phrase lists the frames of its range,
nearest the moment named (else newest) first.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from videolens.chat.retrieval import Retriever
from videolens.chat.stream_context import load_timeline
from videolens.chat.stream_retrieval import stream_scores
from videolens.chat.stream_zone import Zone
from videolens.chat.timeline_text import as_list, text_tokens
from videolens.chat.wall_clock import parse_wall_clock
from videolens.streams.store import StreamStore


@dataclass(frozen=True)
class StreamHit:
    """One matching frame: its number, Unix time, local ``time`` (as citations write it)."""

    stream_id: str
    seq: int
    at: float
    time: str
    score: float
    description: str
    text: list[str]
    image: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StreamSearch:
    """The hits, best first, and the range and zone they were searched in."""

    stream_id: str
    query: str
    time_zone: str
    since_at: float | None
    until_at: float | None
    range_label: str
    hits: list[StreamHit] = field(default_factory=list)


def search_stream(
    store: StreamStore,
    stream_id: str,
    query: str,
    *,
    zone: Zone,
    now: float | None = None,
    since_at: float | None = None,
    until_at: float | None = None,
    limit: int = 20,
    retriever: Retriever | None = None,
) -> StreamSearch:
    """The ``limit`` best-matching frames of ``stream_id`` in the range (none if none match)."""
    now = time.time() if now is None else now
    wall = parse_wall_clock(query, zone, now)
    words = wall.rest if wall is not None else query
    timeline = load_timeline(store, stream_id, zone, now, wall, since_at, until_at)
    found = StreamSearch(
        stream_id, query, zone.describe(now), timeline.since_at, timeline.until_at,
        timeline.where().strip(),
    )  # fmt: skip
    if not timeline.frames or limit <= 0:
        return found
    retriever = retriever or Retriever()
    index = retriever.index(timeline.document())
    score, at, relevance = stream_scores(timeline, words, index, retriever.embedder)
    if text_tokens(words):
        score = np.where(relevance > 0, score, 0.0)  # a search hit must match the words
    by_seq = {int(f["seq"]): f for f in timeline.frames}
    for i in np.lexsort((-at, -score)).tolist()[:limit]:
        if score[i] <= 0:
            break
        frame = by_seq[index.indexes[i]]
        found.hits.append(
            StreamHit(
                stream_id=stream_id,
                seq=int(frame["seq"]),
                at=float(frame["at"]),
                time=timeline.clock(float(frame["at"])),
                score=round(float(score[i]), 4),
                description=str(frame.get("description") or ""),
                text=as_list(frame.get("text")),
                image=frame.get("image"),
            )
        )
    return found
