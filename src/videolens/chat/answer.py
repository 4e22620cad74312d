"""Answer a question about a session or a live stream (a ``Source``): retrieve context, ask the
chat model (streaming) or answer without one, check the citations against the source's clock,
cache the answer (sessions) and keep the history.

``prepare_answer`` does everything before the model is called, so a time it cannot read
(``InvalidTimeError``) or an unknown id fails before anything streams; ``run_answer`` (blocking)
and ``arun_answer`` (asyncio) then yield ``AnswerEvent``s: text deltas as they arrive, then one
final event with the checked ``Answer``. ``answer_question`` does both for a session at once.
Endpoint failures propagate as ``EndpointError``s (clear messages, never
stored as answers, never cached).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from videolens.chat.cache import AnswerCache, cache_key
from videolens.chat.citations import Citation
from videolens.chat.history import ChatHistory
from videolens.chat.model_client import async_chat_client as async_chat_client
from videolens.chat.model_client import chat_client as chat_client
from videolens.chat.model_client import chat_model_configured as chat_model_configured
from videolens.chat.model_client import model_deltas
from videolens.chat.prompt import PROMPT_VERSION
from videolens.chat.retrieval import Context, Moment, Retriever
from videolens.chat.sources import Scope, SessionSource, Source
from videolens.config import Settings
from videolens.errors import VideoLensError
from videolens.openai_compat import (
    AsyncOpenAICompatClient,
    EndpointReplyError,
    OpenAICompatClient,
)
from videolens.store.sessions import SessionStore

MAX_QUESTION_CHARS = 2000

Mode = Literal["llm", "retrieval"]


class InvalidQuestionError(VideoLensError):
    """The question is empty or too long."""


@dataclass
class Answer:
    """A finished answer: its text, how it was made, and its checked citations; ``scope`` is the
    wall-clock range a stream answer read (None for a session)."""

    session_id: str
    question: str
    text: str
    mode: Mode
    citations: list[Citation]
    cached: bool = False
    model: str | None = None
    moments: list[Moment] = field(default_factory=list)
    scope: Scope | None = None

    def citations_json(self) -> list[dict[str, Any]]:
        """The citations as the public JSON shows them."""
        return [c.public(wall=self.scope is not None) for c in self.citations]

    def as_dict(self) -> dict[str, Any]:
        """The public JSON shape (``videolens ask --json``, the API's final event): a stream's
        answer adds its ``time_zone`` and ``range``."""
        shown: dict[str, Any] = {
            "answer": self.text,
            "mode": self.mode,
            "citations": self.citations_json(),
            "cached": self.cached,
            "model": self.model,
        }
        if self.scope is not None:
            shown["time_zone"] = self.scope.time_zone
            shown["range"] = {
                "since": self.scope.since_at,
                "until": self.scope.until_at,
                "label": self.scope.label,
            }
        return shown


@dataclass
class AnswerEvent:
    """``delta``: a piece of the answer's text; ``answer``: the end, with the checked answer."""

    kind: Literal["delta", "answer"]
    text: str = ""
    answer: Answer | None = None


@dataclass
class PreparedAnswer:
    """Everything decided before the model is called; ``ready`` when no call is needed."""

    source: Source
    question: str
    context: Context | None
    messages: list[dict[str, Any]]
    key: str
    ready: Answer | None


def _checked_question(question: str) -> str:
    question = question.strip()
    if not question:
        raise InvalidQuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    return question


def _answer(
    source: Source,
    question: str,
    text: str,
    mode: Mode,
    context: Context | None,
    *,
    cached: bool = False,
    model: str | None = None,
) -> Answer:
    citations = source.citations(text) if context is not None else []
    moments = context.moments if context is not None else []
    return Answer(
        source.source_id, question, text, mode, citations, cached, model, moments, source.scope()
    )


def prepare_answer(
    settings: Settings,
    source: Source,
    question: str,
    *,
    retriever: Retriever | None = None,
    history_turns: int = 0,
) -> PreparedAnswer:
    """Retrieve, and answer at once when no model call is needed (no model, nothing to answer
    from, a cached answer); ``history_turns`` earlier turns go along for follow-up questions."""
    question = _checked_question(question)
    with_model = chat_model_configured(settings)
    empty = source.empty_answer(with_model)
    if empty is not None:  # nothing to cite
        return PreparedAnswer(
            source, question, None, [], "", _answer(source, question, empty, "retrieval", None)
        )
    retriever = retriever or Retriever()
    context = source.context(question, settings.chat_context_tokens, retriever, with_model)
    if not with_model:
        text = source.offline_answer(question, context)
        offline = _answer(source, question, text, "retrieval", context)
        return PreparedAnswer(source, question, context, [], "", offline)
    history = ChatHistory(source.chat_dir).recent(history_turns)
    llm_turns = [t for t in history if t.get("mode") == "llm"]
    messages = source.messages(context, question, llm_turns)
    if not source.cacheable:
        return PreparedAnswer(source, question, context, messages, "", None)
    key = cache_key(question, messages, settings.chat_model, settings.chat_base_url, PROMPT_VERSION)
    cached = AnswerCache(source.chat_dir).get(key)
    ready: Answer | None = None
    if cached is not None:
        ready = _answer(
            source, question, str(cached["answer"]), "llm", context,
            cached=True, model=cached.get("model"),
        )  # fmt: skip
    return PreparedAnswer(source, question, context, messages, key, ready)


def _finish(settings: Settings, prepared: PreparedAnswer, text: str) -> Answer:
    """Check, cache (when the source allows) and record a fresh model answer."""
    text = text.strip()
    if not text:
        raise EndpointReplyError("the chat model returned an empty answer; ask again")
    source, question = prepared.source, prepared.question
    answer = _answer(source, question, text, "llm", prepared.context, model=settings.chat_model)
    if source.cacheable:
        AnswerCache(source.chat_dir).put(
            prepared.key, {"question": question, "answer": text, "model": settings.chat_model}
        )
    _record(source, answer)
    return answer


def _record(source: Source, answer: Answer) -> None:
    turn: dict[str, Any] = {
        "question": answer.question,
        "answer": answer.text,
        "mode": answer.mode,
        "cached": answer.cached,
        "model": answer.model,
        "citations": [c.as_dict() for c in answer.citations],
    }
    if answer.scope is not None:
        turn["range"] = answer.scope.label
    ChatHistory(source.chat_dir).append(turn)


def run_answer(
    settings: Settings, prepared: PreparedAnswer, *, client: OpenAICompatClient | None = None
) -> Iterator[AnswerEvent]:
    """The prepared answer, streaming: the model's deltas (or the ready text), then the answer."""
    if prepared.ready is not None:
        yield AnswerEvent("delta", prepared.ready.text)
        _record(prepared.source, prepared.ready)
        yield AnswerEvent("answer", answer=prepared.ready)
        return
    active = client or chat_client(settings)
    parts: list[str] = []
    try:
        for delta in active.stream_chat(prepared.messages):
            parts.append(delta)
            yield AnswerEvent("delta", delta)
    finally:
        if client is None:
            active.close()
    yield AnswerEvent("answer", answer=_finish(settings, prepared, "".join(parts)))


async def arun_answer(
    settings: Settings, prepared: PreparedAnswer, *, client: AsyncOpenAICompatClient | None = None
) -> AsyncIterator[AnswerEvent]:
    """``run_answer`` for asyncio: file work runs in a thread, the model call is async."""
    if prepared.ready is not None:
        yield AnswerEvent("delta", prepared.ready.text)
        await asyncio.to_thread(_record, prepared.source, prepared.ready)
        yield AnswerEvent("answer", answer=prepared.ready)
        return
    parts: list[str] = []
    async for delta in model_deltas(settings, prepared.messages, client):
        parts.append(delta)
        yield AnswerEvent("delta", delta)
    answer = await asyncio.to_thread(_finish, settings, prepared, "".join(parts))
    yield AnswerEvent("answer", answer=answer)


def final_answer(events: Iterable[AnswerEvent]) -> Answer:
    """The answer at the end of ``events`` (the deltas dropped)."""
    for event in events:
        if event.answer is not None:
            return event.answer
    raise EndpointReplyError("the chat model ended without an answer")  # pragma: no cover


def answer_question(
    settings: Settings,
    store: SessionStore,
    session_id: str,
    question: str,
    *,
    retriever: Retriever | None = None,
    client: OpenAICompatClient | None = None,
    history_turns: int = 0,
) -> Answer:
    """The whole answer about a session at once: ``prepare_answer`` over its ``SessionSource``,
    then ``run_answer`` without the deltas (the API and the CLI stream through those two)."""
    source = SessionSource.load(store, session_id)
    prepared = prepare_answer(
        settings, source, question, retriever=retriever, history_turns=history_turns
    )
    return final_answer(run_answer(settings, prepared, client=client))
