"""Answer a question about a live stream: read the wall-clock range it names, retrieve the frames
that matter, answer with the chat model (streaming) or without one, and check the answer's
``[14:05:12]`` citations against the frames the stream stored.

``prepare_stream_answer`` does everything before the model is called, so a time it cannot read
(``InvalidTimeError``) or an unknown stream fails before anything streams; ``run_stream_answer``
(blocking) and ``arun_stream_answer`` (asyncio) then yield ``StreamAnswerEvent``s: text deltas,
then one final event with the checked ``StreamAnswer``. A range without an analysed frame is
answered without the model: there is nothing to cite. Endpoint failures propagate as
``EndpointError``s and leave no turn in the history.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from videolens.chat.answer import (
    MAX_QUESTION_CHARS,
    InvalidQuestionError,
    chat_client,
    chat_model_configured,
    model_deltas,
)
from videolens.chat.history import ChatHistory
from videolens.chat.retrieval import Retriever
from videolens.chat.stream_citations import StreamCitation, check_stream_citations
from videolens.chat.stream_context import StreamTimeline, load_timeline
from videolens.chat.stream_offline import PREFIX, nothing_seen, stream_offline_answer
from videolens.chat.stream_retrieval import StreamContext, StreamMoment, select_context
from videolens.chat.stream_zone import Zone
from videolens.chat.wall_clock import parse_wall_clock
from videolens.config import Settings
from videolens.openai_compat import AsyncOpenAICompatClient, EndpointReplyError, OpenAICompatClient
from videolens.streams.store import StreamStore

Mode = Literal["llm", "retrieval"]

SYSTEM_PROMPT = """You answer questions about one live video stream using only its analysed \
frames.
The timeline lists frames as "{form} description | text: on-screen text | ..." in local \
wall-clock time ({zone}).
Rules:
- Base every statement on the timeline; if it does not say, answer that the analysed frames do \
not show it.
- Cite the frames you rely on with their times exactly as written, in square brackets: {form}.
- Never invent a time that is not in the timeline.
- Give times as local wall-clock times, as the timeline does.
- Be concise: a few sentences, or a short list for several moments."""


@dataclass
class StreamAnswer:
    """A finished answer about a stream: its text, how it was made, its checked citations and
    the range it answered about."""

    stream_id: str
    question: str
    text: str
    mode: Mode
    citations: list[StreamCitation]
    time_zone: str
    since_at: float | None
    until_at: float | None
    range_label: str
    model: str | None = None
    moments: list[StreamMoment] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The public JSON shape (``videolens ask --json``, the API's final event)."""
        return {
            "answer": self.text,
            "mode": self.mode,
            "citations": [c.as_dict() for c in self.citations],
            "model": self.model,
            "time_zone": self.time_zone,
            "range": {"since": self.since_at, "until": self.until_at, "label": self.range_label},
        }


@dataclass
class StreamAnswerEvent:
    """``delta``: a piece of the answer's text; ``answer``: the end, with the checked answer."""

    kind: Literal["delta", "answer"]
    text: str = ""
    answer: StreamAnswer | None = None


@dataclass
class PreparedStreamAnswer:
    """Everything decided before the model is called; ``ready`` when no call is needed."""

    question: str
    timeline: StreamTimeline
    context: StreamContext | None
    messages: list[dict[str, Any]]
    ready: StreamAnswer | None


def build_stream_messages(
    timeline: StreamTimeline,
    context: StreamContext,
    question: str,
    history: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Chat-completions messages: the rules, the range's timeline, earlier turns, the question."""
    form = "[YYYY-MM-DD HH:MM:SS]" if timeline.with_date else "[HH:MM:SS]"
    rules = SYSTEM_PROMPT.format(form=form, zone=timeline.zone.describe(timeline.now))
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": rules},
        {"role": "system", "content": "Timeline of the stream:\n" + context.render()},
    ]
    for turn in history or []:
        messages.append({"role": "user", "content": str(turn["question"])})
        messages.append({"role": "assistant", "content": str(turn["answer"])})
    messages.append({"role": "user", "content": question})
    return messages


def _answer(
    prepared_question: str,
    timeline: StreamTimeline,
    text: str,
    mode: Mode,
    citations: list[StreamCitation],
    *,
    model: str | None = None,
    context: StreamContext | None = None,
) -> StreamAnswer:
    return StreamAnswer(
        timeline.stream_id, prepared_question, text, mode, citations,
        timeline.zone.describe(timeline.now), timeline.since_at, timeline.until_at,
        timeline.where().strip(), model, context.moments if context else [],
    )  # fmt: skip


def prepare_stream_answer(
    settings: Settings,
    store: StreamStore,
    stream_id: str,
    question: str,
    *,
    zone: Zone,
    now: float | None = None,
    retriever: Retriever | None = None,
    history_turns: int = 0,
    since_at: float | None = None,
    until_at: float | None = None,
) -> PreparedStreamAnswer:
    """Read the range, retrieve, and answer at once when no model call is needed."""
    question = question.strip()
    if not question:
        raise InvalidQuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    now = time.time() if now is None else now
    wall = parse_wall_clock(question, zone, now)
    rest = wall.rest if wall is not None else question
    timeline = load_timeline(store, stream_id, zone, now, wall, since_at, until_at)
    model = chat_model_configured(settings)
    if not timeline.frames:
        text = nothing_seen(timeline) if model else f"{PREFIX}. {nothing_seen(timeline)}"
        ready = _answer(question, timeline, text, "retrieval", [])
        return PreparedStreamAnswer(question, timeline, None, [], ready)
    retriever = retriever or Retriever()
    context = select_context(
        timeline, rest, settings.chat_context_tokens, retriever, with_overview=model
    )
    if not model:
        timeline.shown.clear()  # the answer's own stamps decide which frame a second means
        text = stream_offline_answer(timeline, rest, context)
        citations = check_stream_citations(text, timeline, store)
        ready = _answer(question, timeline, text, "retrieval", citations, context=context)
        return PreparedStreamAnswer(question, timeline, context, [], ready)
    turns = ChatHistory(store.stream_dir(stream_id)).recent(history_turns)
    llm_turns = [t for t in turns if t.get("mode") == "llm"]
    messages = build_stream_messages(timeline, context, question, llm_turns)
    return PreparedStreamAnswer(question, timeline, context, messages, None)


def _finish(
    settings: Settings, store: StreamStore, prepared: PreparedStreamAnswer, text: str
) -> StreamAnswer:
    """Check and record a fresh model answer."""
    text = text.strip()
    if not text:
        raise EndpointReplyError("the chat model returned an empty answer; ask again")
    citations = check_stream_citations(text, prepared.timeline, store)
    answer = _answer(
        prepared.question, prepared.timeline, text, "llm", citations,
        model=settings.chat_model, context=prepared.context,
    )  # fmt: skip
    _record(store, answer)
    return answer


def _record(store: StreamStore, answer: StreamAnswer) -> None:
    ChatHistory(store.stream_dir(answer.stream_id)).append(
        {
            "question": answer.question,
            "answer": answer.text,
            "mode": answer.mode,
            "model": answer.model,
            "range": answer.range_label,
            "citations": [c.as_dict() for c in answer.citations],
        }
    )


def run_stream_answer(
    settings: Settings,
    store: StreamStore,
    prepared: PreparedStreamAnswer,
    *,
    client: OpenAICompatClient | None = None,
) -> Iterator[StreamAnswerEvent]:
    """The prepared answer, streaming: the model's deltas (or the ready text), then the answer."""
    if prepared.ready is not None:
        yield StreamAnswerEvent("delta", prepared.ready.text)
        _record(store, prepared.ready)
        yield StreamAnswerEvent("answer", answer=prepared.ready)
        return
    own_client = client is None
    active = client or chat_client(settings)
    parts: list[str] = []
    try:
        for delta in active.stream_chat(prepared.messages):
            parts.append(delta)
            yield StreamAnswerEvent("delta", delta)
    finally:
        if own_client:
            active.close()
    yield StreamAnswerEvent("answer", answer=_finish(settings, store, prepared, "".join(parts)))


async def arun_stream_answer(
    settings: Settings,
    store: StreamStore,
    prepared: PreparedStreamAnswer,
    *,
    client: AsyncOpenAICompatClient | None = None,
) -> AsyncIterator[StreamAnswerEvent]:
    """``run_stream_answer`` for asyncio: file work runs in a thread, the model call is async."""
    if prepared.ready is not None:
        yield StreamAnswerEvent("delta", prepared.ready.text)
        await asyncio.to_thread(_record, store, prepared.ready)
        yield StreamAnswerEvent("answer", answer=prepared.ready)
        return
    parts: list[str] = []
    async for delta in model_deltas(settings, prepared.messages, client):
        parts.append(delta)
        yield StreamAnswerEvent("delta", delta)
    answer = await asyncio.to_thread(_finish, settings, store, prepared, "".join(parts))
    yield StreamAnswerEvent("answer", answer=answer)


def ask_stream(
    settings: Settings,
    store: StreamStore,
    stream_id: str,
    question: str,
    *,
    zone: Zone,
    now: float | None = None,
    retriever: Retriever | None = None,
) -> StreamAnswer:
    """The whole answer at once (prepare, then run without the deltas)."""
    prepared = prepare_stream_answer(
        settings, store, stream_id, question, zone=zone, now=now, retriever=retriever
    )
    for event in run_stream_answer(settings, store, prepared):
        if event.answer is not None:
            return event.answer
    raise EndpointReplyError("the chat model ended without an answer")  # pragma: no cover
