"""What a question is answered over: a session's timeline on a ``VideoClock``, or a live
stream's wall-clock range on a ``WallClock``. ``answer`` runs one path for both; a source says
where its chat history lives, how it retrieves context, answers without a model, prompts the
model and checks citations.

A ``StreamSource`` is made per question: the range it reads is the one the question names ("in
the last 10 minutes", "at 14:05"), narrowed by the caller's ``since``/``until``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from videolens.chat.citations import (
    Citation,
    FrameTimes,
    SpeechTimes,
    StoredFrames,
    match_citations,
)
from videolens.chat.live_ranking import select_context
from videolens.chat.live_timeline import AskedRange, StreamTimeline, load_timeline
from videolens.chat.offline import PREFIX, Evidence, nothing_seen, offline_answer
from videolens.chat.prompt import build_messages, stream_rules
from videolens.chat.retrieval import Context, Retriever, TimelineIndex
from videolens.chat.wall_clock import parse_wall_clock
from videolens.store.sessions import SessionStore
from videolens.streams.store import StreamStore
from videolens.timeline.clock import Clock, VideoClock
from videolens.timeline.model import SessionDocument


@dataclass(frozen=True)
class Scope:
    """The wall-clock range a stream answer read, and the zone its times are in."""

    time_zone: str
    since_at: float | None
    until_at: float | None
    label: str


class Source(Protocol):
    """A timeline a question is answered over (see the module docstring)."""

    @property
    def source_id(self) -> str:
        """The session's or the stream's id."""
        ...

    @property
    def clock(self) -> Clock:
        """How the timeline's times are cited."""
        ...

    @property
    def chat_dir(self) -> Path:
        """Where the chat history (and the answer cache) live."""
        ...

    cacheable: bool
    """Whether model answers are cached (a session's timeline is fixed; a stream's grows)."""

    def empty_answer(self, with_model: bool) -> str | None:
        """The answer when there is nothing to answer from (no frame in the range), else None."""
        ...

    def context(
        self, question: str, budget_tokens: int, retriever: Retriever, with_model: bool
    ) -> Context:
        """The moments (and an overview, for the model) to answer from."""
        ...

    def offline_answer(self, question: str, context: Context) -> str:
        """The answer without a chat model."""
        ...

    def messages(
        self, context: Context, question: str, turns: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The chat model's prompt."""
        ...

    def citations(self, text: str) -> list[Citation]:
        """The citations of ``text`` checked against the stored moments."""
        ...

    def scope(self) -> Scope | None:
        """The wall-clock range answered about (None for a session)."""
        ...


@dataclass
class SessionSource:
    """A session's timeline (its stored document), in video time."""

    store: SessionStore
    document: SessionDocument
    clock: VideoClock = field(default_factory=VideoClock)
    cacheable: bool = True
    _index: TimelineIndex | None = field(default=None, repr=False)

    @classmethod
    def load(cls, store: SessionStore, session_id: str) -> SessionSource:
        """The session ``session_id`` as stored now."""
        return cls(store, store.document(session_id))

    @property
    def source_id(self) -> str:
        """The session's id."""
        return self.document.session_id

    @property
    def chat_dir(self) -> Path:
        """The session's directory."""
        return self.store.session_dir(self.source_id)

    def empty_answer(self, with_model: bool) -> str | None:
        """None: an empty session is answered like any other."""
        return None

    def context(
        self, question: str, budget_tokens: int, retriever: Retriever, with_model: bool
    ) -> Context:
        """The best-ranked moments of the session and its overview."""
        self._index = retriever.index(self.document)
        return self._index.select(question, budget_tokens, retriever.embedder)

    def offline_answer(self, question: str, context: Context) -> str:
        """``offline.offline_answer`` over the session (after ``context``)."""
        assert self._index is not None, "context() comes first"
        return offline_answer(Evidence.of_session(self.document, self._index), question, context)

    def messages(
        self, context: Context, question: str, turns: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The video prompt."""
        return build_messages(context, question, turns)

    def citations(self, text: str) -> list[Citation]:
        """``[mm:ss]`` citations checked against the frames and the speech track."""
        speech = self.document.speech
        segments = speech.segments if speech is not None else []
        frames = FrameTimes(self.document.frames)
        return match_citations(self.clock.cited(text), frames, SpeechTimes(segments))

    def scope(self) -> Scope | None:
        """None: a session has no wall-clock range."""
        return None


@dataclass
class StreamSource:
    """A live stream's frames in the wall-clock range a question names; ``rest`` is the
    question without its time phrase (what retrieval ranks by)."""

    store: StreamStore
    timeline: StreamTimeline
    rest: str
    cacheable: bool = False

    @classmethod
    def load(
        cls,
        store: StreamStore,
        stream_id: str,
        question: str,
        asked: AskedRange,
    ) -> StreamSource:
        """Read the range ``question`` names (``InvalidTimeError`` if a time does not parse)."""
        asked = asked.fixed()
        wall = parse_wall_clock(question, asked.zone, asked.at)
        rest = wall.rest if wall is not None else question
        timeline = load_timeline(store, stream_id, asked, wall)
        return cls(store, timeline, rest)

    @property
    def source_id(self) -> str:
        """The stream's id."""
        return self.timeline.stream_id

    @property
    def clock(self) -> Clock:
        """The range's wall clock."""
        return self.timeline.clock

    @property
    def chat_dir(self) -> Path:
        """The stream's directory."""
        return self.store.stream_dir(self.source_id)

    def empty_answer(self, with_model: bool) -> str | None:
        """What is known instead, when no frame was analysed in the range."""
        if self.timeline.frames:
            return None
        text = nothing_seen(self.timeline)
        return text if with_model else f"{PREFIX}. {text}"

    def context(
        self, question: str, budget_tokens: int, retriever: Retriever, with_model: bool
    ) -> Context:
        """The range's best frames (an overview only for the model)."""
        return select_context(
            self.timeline, self.rest, budget_tokens, retriever, with_overview=with_model
        )

    def offline_answer(self, question: str, context: Context) -> str:
        """``offline.offline_answer`` over the range: its own stamps decide which frame a
        second means."""
        self.timeline.shown.clear()
        return offline_answer(Evidence.of_stream(self.timeline), self.rest, context)

    def messages(
        self, context: Context, question: str, turns: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The stream prompt, in the range's zone."""
        timeline = self.timeline
        rules = stream_rules(timeline.with_date, timeline.zone.describe(timeline.now))
        return build_messages(context, question, turns, rules=rules, subject="stream")

    def citations(self, text: str) -> list[Citation]:
        """Wall-clock citations checked against the frames the stream stored."""
        frames = StoredFrames(self.store, self.source_id, self.timeline.shown)
        return match_citations(self.clock.cited(text), frames)

    def scope(self) -> Scope | None:
        """The range, its label and the zone."""
        timeline = self.timeline
        return Scope(
            timeline.zone.describe(timeline.now), timeline.since_at, timeline.until_at,
            timeline.where().strip(),
        )  # fmt: skip
