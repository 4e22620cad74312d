"""Ranked moments for a text query: in one session or across several, or in a live stream's
wall-clock range.

Scores are the retrieval ranking (BM25 over descriptions, on-screen text, structured fields and
detections — "face" finds the frames with faces, "people" those with people — and over the
transcribed speech, plus the query's time anchor). A speech hit (``kind`` "speech") carries the
segment's words as its description and the analysed frame nearest its start as its frame.
Across sessions (``search_sessions``) every document is loaded and indexed per query and the
raw scores merged: fine for a few sessions. The API and ``videolens library search`` ask the
library index instead (``videolens.library``: one scoring over every video, filters, paging);
this scan stays as the baseline ``bench/bench_library.py`` measures the index against.

A stream's query is read like a chat question: a time phrase in it ("car in the last 10
minutes", "EXIT since 14:00") narrows the range (``sources.StreamSource``), as the caller's
``since``/``until`` do, and the rest is ranked with the stream's recency and focus
(``live_ranking.stream_scores``). Only frames that match the words are hits; a query that is
only a time phrase lists the frames of its range, nearest the moment named (else newest) first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from videolens.chat.facts import ordered_frames, seconds, speech_track
from videolens.chat.live_ranking import stream_scores
from videolens.chat.live_timeline import AskedRange
from videolens.chat.retrieval import Retriever
from videolens.chat.selection import Ranking
from videolens.chat.sources import StreamSource
from videolens.chat.timeline_text import text_tokens
from videolens.chat.timeparse import format_timestamp
from videolens.streams.store import StreamStore
from videolens.timeline.model import Moment, SessionDocument


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
    document: SessionDocument,
    query: str,
    limit: int = 20,
    retriever: Retriever | None = None,
) -> list[SearchHit]:
    """The ``limit`` best-matching moments of one session, best first (none if nothing matches)."""
    index = (retriever or Retriever()).index(document)
    scores = index.scores(query)
    top = Ranking(scores, index.timestamps, candidates=limit).order()  # ties: earliest first
    frames = ordered_frames(document)
    by_index = {f.index or 0: f for f in frames}
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
            description = frame.description
            text = list(frame.text)
            kind, end_s = "frame", None
        hits.append(
            SearchHit(
                session_id=index.session_id,
                frame_index=frame.index or 0,
                timestamp_s=seconds,
                timestamp=format_timestamp(seconds),
                score=round(float(scores[i]), 4),
                description=description,
                text=text,
                image=frame.image,
                kind=kind,
                end_s=end_s,
            )
        )
    return hits


def _nearest(frames: list[Moment], at: float) -> Moment | None:
    return min(frames, key=lambda f: abs(seconds(f) - at), default=None)


def search_sessions(
    documents: Iterable[SessionDocument],
    query: str,
    limit: int = 20,
    retriever: Retriever | None = None,
) -> list[SearchHit]:
    """The best moments across ``documents`` (the caller picks the sessions a key may see),
    scanning each per query; the library index answers the same across a whole library."""
    retriever = retriever or Retriever()
    merged: list[SearchHit] = []
    for document in documents:
        merged += search_session(document, query, limit, retriever)
    merged.sort(key=lambda h: (-h.score, h.session_id, h.timestamp_s))
    return merged[:limit]


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
    asked: AskedRange,
    *,
    limit: int = 20,
    retriever: Retriever | None = None,
) -> StreamSearch:
    """The ``limit`` best-matching frames of ``stream_id`` in the range (none if none match)."""
    source = StreamSource.load(store, stream_id, query, asked)
    timeline, words = source.timeline, source.rest
    found = StreamSearch(
        stream_id, query, asked.zone.describe(timeline.now), timeline.since_at, timeline.until_at,
        timeline.where().strip(),
    )  # fmt: skip
    if not timeline.frames or limit <= 0:
        return found
    retriever = retriever or Retriever()
    index = retriever.index(timeline.document())
    score, at, relevance = stream_scores(timeline, words, index, retriever.embedder)
    if text_tokens(words):
        score = np.where(relevance > 0, score, 0.0)  # a search hit must match the words
    by_seq = {f.index or 0: f for f in timeline.frames}
    ranking = Ranking(score, at, newest_first=True, candidates=None)
    for i in ranking.order().tolist()[:limit]:
        if score[i] <= 0:
            break
        frame = by_seq[index.indexes[i]]
        found.hits.append(
            StreamHit(
                stream_id=stream_id,
                seq=frame.index or 0,
                at=seconds(frame),
                time=timeline.clock.format(seconds(frame)),
                score=round(float(score[i]), 4),
                description=frame.description,
                text=list(frame.text),
                image=frame.image,
            )
        )
    return found
