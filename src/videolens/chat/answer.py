"""Answer a question about a session: retrieve context, ask the chat model (streaming), check
the citations, cache the answer and keep the history.

``stream_answer`` (blocking) and ``astream_answer`` (asyncio, for the API) yield ``AnswerEvent``s:
text deltas as they arrive, then one final event with the checked ``Answer``. Endpoint failures
propagate as ``EndpointError``s (clear messages, never stored as answers, never cached).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from videolens.chat.cache import AnswerCache, cache_key
from videolens.chat.citations import Citation, check_citations
from videolens.chat.history import ChatHistory
from videolens.chat.offline import offline_answer
from videolens.chat.prompt import PROMPT_VERSION, build_messages
from videolens.chat.retrieval import Context, Moment, Retriever
from videolens.config import Settings
from videolens.errors import VideoLensError
from videolens.openai_compat import (
    AsyncOpenAICompatClient,
    EndpointReplyError,
    OpenAICompatClient,
)
from videolens.store.sessions import SessionStore

DEFAULT_CHAT_BASE_URL = str(Settings.model_fields["chat_base_url"].default)
MAX_QUESTION_CHARS = 2000
CHAT_KEY_HINT = "VIDEOLENS_CHAT_API_KEY (or NEBIUS_API_KEY)"

Mode = Literal["llm", "retrieval"]


class InvalidQuestionError(VideoLensError):
    """The question is empty or too long."""


def chat_model_configured(settings: Settings) -> bool:
    """Whether a chat model can be asked: a key is set, or the base URL is not the default cloud.

    The default endpoint (Nebius AI Studio) needs a key; a custom ``chat_base_url`` (a local
    Ollama or vLLM) is taken as configured with or without one. Otherwise chat answers with
    retrieval only.
    """
    has_key = settings.chat_api_key is not None and bool(settings.chat_api_key.get_secret_value())
    custom_url = settings.chat_base_url.rstrip("/") != DEFAULT_CHAT_BASE_URL.rstrip("/")
    return has_key or custom_url


def _key(settings: Settings) -> str | None:
    return settings.chat_api_key.get_secret_value() if settings.chat_api_key else None


def chat_client(settings: Settings) -> OpenAICompatClient:
    """A blocking client for the configured chat endpoint."""
    return OpenAICompatClient(
        settings.chat_base_url,
        settings.chat_model,
        _key(settings),
        settings.chat_timeout_s,
        key_hint=CHAT_KEY_HINT,
    )


def async_chat_client(settings: Settings) -> AsyncOpenAICompatClient:
    """An asyncio client for the configured chat endpoint."""
    return AsyncOpenAICompatClient(
        settings.chat_base_url,
        settings.chat_model,
        _key(settings),
        settings.chat_timeout_s,
        key_hint=CHAT_KEY_HINT,
    )


def checked_citations(text: str, document: dict[str, Any]) -> list[Citation]:
    """The citations of ``text`` checked against the session's frames and speech track."""
    speech = document.get("speech")
    segments = speech.get("segments") or [] if isinstance(speech, dict) else []
    return check_citations(text, document.get("frames") or [], segments)


@dataclass
class Answer:
    """A finished answer: its text, how it was made, and its checked citations."""

    session_id: str
    question: str
    text: str
    mode: Mode
    citations: list[Citation]
    cached: bool = False
    model: str | None = None
    moments: list[Moment] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The public JSON shape (``videolens ask --json``, the API's final event)."""
        return {
            "answer": self.text,
            "mode": self.mode,
            "citations": [
                {
                    "timestamp_s": c.timestamp_s,
                    "frame_index": c.frame_index,
                    "valid": c.valid,
                    "kind": c.kind,
                    "segment_index": c.segment_index,
                }
                for c in self.citations
            ],
            "cached": self.cached,
            "model": self.model,
        }


@dataclass
class AnswerEvent:
    """``delta``: a piece of the answer's text; ``answer``: the end, with the checked answer."""

    kind: Literal["delta", "answer"]
    text: str = ""
    answer: Answer | None = None


@dataclass
class _Prepared:
    """Everything decided before the model is called; ``ready`` when no call is needed."""

    document: dict[str, Any]
    context: Context
    messages: list[dict[str, Any]]
    key: str
    ready: Answer | None


def _prepare(
    settings: Settings,
    store: SessionStore,
    session_id: str,
    question: str,
    retriever: Retriever,
    history_turns: int,
) -> _Prepared:
    question = question.strip()
    if not question:
        raise InvalidQuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    document = store.get(session_id)
    index = retriever.index(document)
    context = index.select(question, settings.chat_context_tokens, retriever.embedder)
    if not chat_model_configured(settings):
        text = offline_answer(document, question, context, index)
        answer = Answer(
            session_id, question, text, "retrieval", checked_citations(text, document),
            moments=context.moments,
        )  # fmt: skip
        return _Prepared(document, context, [], "", answer)
    history = ChatHistory(store.session_dir(session_id)).recent(history_turns)
    llm_turns = [t for t in history if t.get("mode") == "llm"]
    messages = build_messages(context, question, llm_turns)
    key = cache_key(question, messages, settings.chat_model, settings.chat_base_url, PROMPT_VERSION)
    cached = AnswerCache(store.session_dir(session_id)).get(key)
    if cached is not None:
        text = str(cached["answer"])
        answer = Answer(
            session_id, question, text, "llm", checked_citations(text, document), cached=True,
            model=cached.get("model"), moments=context.moments,
        )  # fmt: skip
        return _Prepared(document, context, messages, key, answer)
    return _Prepared(document, context, messages, key, None)


def _finish(settings: Settings, store: SessionStore, prepared: _Prepared, text: str) -> Answer:
    """Check, cache and record a fresh model answer."""
    text = text.strip()
    if not text:
        raise EndpointReplyError("the chat model returned an empty answer; ask again")
    session_id = str(prepared.document["session_id"])
    question = str(prepared.messages[-1]["content"])
    answer = Answer(
        session_id, question, text, "llm", checked_citations(text, prepared.document),
        model=settings.chat_model, moments=prepared.context.moments,
    )  # fmt: skip
    AnswerCache(store.session_dir(session_id)).put(
        prepared.key, {"question": question, "answer": text, "model": settings.chat_model}
    )
    return answer


def _record(store: SessionStore, answer: Answer) -> None:
    ChatHistory(store.session_dir(answer.session_id)).append(
        {
            "question": answer.question,
            "answer": answer.text,
            "mode": answer.mode,
            "cached": answer.cached,
            "model": answer.model,
            "citations": [c.as_dict() for c in answer.citations],
        }
    )


def stream_answer(
    settings: Settings,
    store: SessionStore,
    session_id: str,
    question: str,
    *,
    retriever: Retriever | None = None,
    client: OpenAICompatClient | None = None,
    history_turns: int = 0,
) -> Iterator[AnswerEvent]:
    """Answer ``question`` about a session, streaming; ``history_turns`` earlier turns are sent
    along for follow-up questions (0 for standalone questions)."""
    prepared = _prepare(
        settings, store, session_id, question, retriever or Retriever(), history_turns
    )
    if prepared.ready is not None:
        yield AnswerEvent("delta", prepared.ready.text)
        _record(store, prepared.ready)
        yield AnswerEvent("answer", answer=prepared.ready)
        return
    own_client = client is None
    active = client or chat_client(settings)
    parts: list[str] = []
    try:
        for delta in active.stream_chat(prepared.messages):
            parts.append(delta)
            yield AnswerEvent("delta", delta)
    finally:
        if own_client:
            active.close()
    answer = _finish(settings, store, prepared, "".join(parts))
    _record(store, answer)
    yield AnswerEvent("answer", answer=answer)


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
    """The whole answer at once (``stream_answer`` without the deltas)."""
    for event in stream_answer(
        settings, store, session_id, question,
        retriever=retriever, client=client, history_turns=history_turns,
    ):  # fmt: skip
        if event.answer is not None:
            return event.answer
    raise EndpointReplyError("the chat model ended without an answer")  # pragma: no cover


async def astream_answer(
    settings: Settings,
    store: SessionStore,
    session_id: str,
    question: str,
    *,
    retriever: Retriever | None = None,
    client: AsyncOpenAICompatClient | None = None,
    history_turns: int = 0,
) -> AsyncIterator[AnswerEvent]:
    """``stream_answer`` for asyncio: file work runs in a thread, the model call is async."""
    prepared = await asyncio.to_thread(
        _prepare, settings, store, session_id, question, retriever or Retriever(), history_turns
    )
    if prepared.ready is not None:
        yield AnswerEvent("delta", prepared.ready.text)
        await asyncio.to_thread(_record, store, prepared.ready)
        yield AnswerEvent("answer", answer=prepared.ready)
        return
    parts: list[str] = []
    async for delta in model_deltas(settings, prepared.messages, client):
        parts.append(delta)
        yield AnswerEvent("delta", delta)
    answer = await asyncio.to_thread(_finish, settings, store, prepared, "".join(parts))
    await asyncio.to_thread(_record, store, answer)
    yield AnswerEvent("answer", answer=answer)


async def model_deltas(
    settings: Settings, messages: Any, client: AsyncOpenAICompatClient | None = None
) -> AsyncIterator[str]:
    """The chat model's streamed text; a client made here is closed when the stream ends."""
    active = client or async_chat_client(settings)
    try:
        async for delta in active.stream_chat(messages):
            yield delta
    finally:
        if client is None:
            await active.aclose()
