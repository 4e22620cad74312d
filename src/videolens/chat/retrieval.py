"""Context for a question: the most relevant moments of a session plus an overview of the video.

The timeline's entries are the analysed frames and the transcribed speech segments (``kind``
"frame" or "speech"). Ranking mixes BM25 over each entry's words (a frame's description,
on-screen text, structured fields and detections; a segment's words), embeddings when an
embedder is given, and the question's time anchor ("at 1:30", "after the car
stops", "at the end"). Everything that depends only on the session is computed once per document
version in a ``TimelineIndex``; a ``Retriever`` keeps the recent indexes, so a question costs a
few vector operations even on a 10,000-frame session.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from videolens.chat.bm25 import BM25Index
from videolens.chat.facts import ordered_frames, seconds, speech_track
from videolens.chat.selection import Context, Moment, Ranking, estimate_tokens, fill_budget
from videolens.chat.timeline_text import (
    frame_tokens,
    frame_words,
    moment_line,
    overview,
    speech_line,
    text_tokens,
)
from videolens.chat.timeparse import TimeAnchor, parse_anchor
from videolens.timeline.model import SessionDocument

__all__ = [
    "Context",
    "Embedder",
    "Moment",
    "Retriever",
    "TimelineIndex",
    "estimate_tokens",
    "moment_line",
]

# Share of the token budget the overview may take; the moments get the rest.
OVERVIEW_SHARE = 0.25


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def document_version(document: SessionDocument) -> str:
    """Identifies a document's content cheaply: it changes whenever frames are added or edited."""
    frames, speech = document.frames, document.speech
    last = frames[-1] if frames else None
    return ":".join(
        str(x)
        for x in (
            document.session_id,
            document.updated_at,
            document.status,
            len(frames),
            last.index if last else None,
            last.timestamp_s if last else None,
            bool(document.summary),
            len(speech.segments) if speech else 0,
            speech.status if speech else None,
        )
    )


@dataclass
class TimelineIndex:
    """Everything about one document version that ranking needs, computed once."""

    version: str
    timestamps: NDArray[np.float64]
    indexes: list[int]
    lines: list[str]
    bodies: list[str]
    images: list[str | None]
    bm25: BM25Index
    overview_head: str
    overview_lines: list[str]
    duration_s: float
    time_scale_s: float
    embeddings: NDArray[np.float32] | None = None
    session_id: str = ""
    kinds: list[str] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)

    @classmethod
    def build(cls, document: SessionDocument, embedder: Embedder | None = None) -> TimelineIndex:
        frames = ordered_frames(document)
        frame_times = np.array([seconds(f) for f in frames], dtype=np.float64)
        speech = speech_track(document)
        segments = speech.segments
        lines = [moment_line(f) for f in frames] + [speech_line(s) for s in segments]
        words = [frame_words(f) for f in frames] + [s.text for s in segments]
        tokens = [frame_tokens(f) for f in frames] + [text_tokens(s.text) for s in segments]
        timestamps = np.concatenate(
            [frame_times, np.array([s.start_s for s in segments], dtype=np.float64)]
        )
        duration = document.video.duration_s or 0.0
        duration = max(duration, float(frame_times[-1]) if len(frame_times) else 0.0)
        gaps = np.diff(frame_times)
        embeddings = None
        if embedder is not None and words:
            unique = list(dict.fromkeys(words))
            vectors = embedder.encode(unique)
            row = {text: i for i, text in enumerate(unique)}
            embeddings = vectors[[row[w] for w in words]]
        head, overview_lines = overview(document, frames, duration, speech)
        return cls(
            version=document_version(document),
            timestamps=timestamps,
            indexes=[f.index or 0 for f in frames] + [s.index for s in segments],
            lines=lines,
            bodies=[line.split("] ", 1)[-1] for line in lines],
            images=[f.image for f in frames] + [None] * len(segments),
            bm25=BM25Index(tokens),
            overview_head=head,
            overview_lines=overview_lines,
            duration_s=duration,
            time_scale_s=max(1.0, float(np.median(gaps)) if len(gaps) else 1.0),
            embeddings=embeddings,
            session_id=document.session_id,
            kinds=["frame"] * len(frames) + ["speech"] * len(segments),
            ends=[float(t) for t in frame_times] + [s.end_s for s in segments],
        )

    def relevance(self, text: str, embedder: Embedder | None = None) -> NDArray[np.float64]:
        """Keyword (and semantic) relevance of every entry to ``text``, in [0, 1]."""
        lexical = self.bm25.scores(text_tokens(text))
        top = float(lexical.max()) if len(lexical) else 0.0
        score = lexical / top if top > 0 else lexical
        if embedder is not None and self.embeddings is not None and text.strip():
            query = embedder.encode([text])[0]
            semantic = np.clip(self.embeddings @ query, 0.0, None).astype(np.float64)
            # Words that match exactly stay the stronger signal; meaning breaks ties and
            # finds paraphrases that share no word.
            score = 0.65 * score + 0.35 * semantic
        return score

    def _proximity(self, seconds: float, scale: float) -> NDArray[np.float64]:
        result: NDArray[np.float64] = 1.0 / (1.0 + np.abs(self.timestamps - seconds) / scale)
        return result

    def scores(self, question: str, embedder: Embedder | None = None) -> NDArray[np.float64]:
        """The final ranking score of every frame for ``question`` (0 means irrelevant)."""
        anchor = parse_anchor(question)
        if anchor is None:
            return self.relevance(question, embedder)
        score = self.relevance(anchor.rest, embedder)
        scale = self.time_scale_s
        t = self.timestamps
        if anchor.kind == "at" and anchor.seconds is not None:
            # The named time dominates: its nearest frames come first, relevance orders the rest.
            score = score + 2.0 * self._proximity(anchor.seconds, scale)
        elif anchor.kind == "between" and anchor.seconds is not None:
            until = anchor.until_s if anchor.until_s is not None else anchor.seconds
            inside = (t >= anchor.seconds - scale / 2) & (t <= until + scale / 2)
            score = np.where(inside, 1.0 + score, 0.2 * score)
        elif anchor.kind in ("after", "before"):
            score = self._relative(anchor, score)
        elif anchor.kind in ("start", "end"):
            target = 0.0 if anchor.kind == "start" else self.duration_s
            score = score + 0.7 * self._proximity(target, max(scale, self.duration_s / 10))
        return score

    def _relative(self, anchor: TimeAnchor, score: NDArray[np.float64]) -> NDArray[np.float64]:
        """ "after/before X": keep the moments on the right side of X, nearest first."""
        seconds = anchor.seconds
        if seconds is None and anchor.event:
            event = self.relevance(anchor.event)
            if not len(event) or float(event.max()) <= 0.0:
                return score + self.relevance(anchor.event)  # unknown event: plain ranking
            seconds = float(self.timestamps[int(np.argmax(event))])
        if seconds is None:
            return score
        t = self.timestamps
        side = t > seconds if anchor.kind == "after" else t < seconds
        near = self._proximity(seconds, self.time_scale_s * 3)
        ranked = np.where(side, 1.0 + score + 0.5 * near, 0.0)
        # The anchor moment itself is useful context ("after the car stops": when it stopped).
        at = np.abs(t - seconds) < 1e-6
        return np.where(at & ~side, 0.9, ranked)

    def select(
        self, question: str, budget_tokens: int, embedder: Embedder | None = None
    ) -> Context:
        """Fill ``budget_tokens`` with the overview and the best-scoring distinct moments."""
        overview = self._overview_text(int(budget_tokens * OVERVIEW_SHARE))
        left = budget_tokens - estimate_tokens(overview)
        ranking = Ranking(self.scores(question, embedder), self.timestamps)
        moments, left = fill_budget(self, ranking, left)
        tokens = budget_tokens - left
        return Context(question, moments, overview, tokens, parse_anchor(question), self.duration_s)

    def _overview_text(self, budget_tokens: int) -> str:
        lines = self.overview_lines
        text = "\n".join([self.overview_head, *lines])
        keep = len(lines)
        while keep > 1 and estimate_tokens(text) > budget_tokens:
            keep = keep * 2 // 3
            picked = [lines[round(i * (len(lines) - 1) / max(1, keep - 1))] for i in range(keep)]
            text = "\n".join([self.overview_head, *dict.fromkeys(picked)])
        return text


class Retriever:
    """Builds and keeps ``TimelineIndex``es (most recent ``capacity`` document versions).

    One instance lives as long as the process that answers questions (the API app, a CLI
    command); pass an ``embedder`` to mix semantic similarity into the ranking.
    """

    def __init__(self, embedder: Embedder | None = None, capacity: int = 8) -> None:
        self.embedder = embedder
        self._capacity = capacity
        self._indexes: OrderedDict[str, TimelineIndex] = OrderedDict()
        self._lock = threading.Lock()

    def index(self, document: SessionDocument) -> TimelineIndex:
        """The index of this document version, built on first use."""
        version = document_version(document)
        with self._lock:
            cached = self._indexes.get(version)
            if cached is not None:
                self._indexes.move_to_end(version)
                return cached
        built = TimelineIndex.build(document, self.embedder)
        with self._lock:
            self._indexes[version] = built
            while len(self._indexes) > self._capacity:
                self._indexes.popitem(last=False)
        return built

    def retrieve(self, document: SessionDocument, question: str, budget_tokens: int) -> Context:
        """The context to answer ``question`` within ``budget_tokens``."""
        return self.index(document).select(question, budget_tokens, self.embedder)
