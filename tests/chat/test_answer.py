"""Answers against an OpenAI-compatible server in another process (the real protocol)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from timeline_factory import make_document, store_document

from openai_fake import MODEL_ID, OpenAIFake, fake_settings
from videolens.chat.answer import (
    AnswerEvent,
    InvalidQuestionError,
    PreparedAnswer,
    answer_question,
    arun_answer,
    chat_model_configured,
    prepare_answer,
    run_answer,
)
from videolens.chat.citations import check_citations, flag_invalid
from videolens.chat.history import ChatHistory
from videolens.chat.sources import SessionSource
from videolens.config import Settings
from videolens.openai_compat import (
    EndpointAuthError,
    EndpointServerError,
    EndpointTimeoutError,
)
from videolens.store import SessionStore
from videolens.timeline.model import Moment as StoredMoment

SESSION = "abcdefabcdef"


def chat_settings(tmp_path: Path, **overrides: Any) -> Settings:
    fields = {"chat_model": MODEL_ID, "chat_api_key": None, "chat_timeout_s": 5.0, **overrides}
    return fake_settings(tmp_path, **fields)


def prepared(settings: Settings, store: SessionStore, question: str) -> PreparedAnswer:
    """The path the API and the CLI take: the session's source, then the prepared answer."""
    return prepare_answer(settings, SessionSource.load(store, SESSION), question)


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return store_document(tmp_path / "data" / "sessions", make_document(SESSION))


def test_answers_stream_and_cite_moments_that_exist(
    tmp_path: Path, store: SessionStore, openai_fake: OpenAIFake
) -> None:
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)
    events = list(run_answer(settings, prepared(settings, store, "What is on screen at 1:30?")))
    deltas = [e.text for e in events if e.kind == "delta"]
    answer = events[-1].answer
    assert answer is not None and len(deltas) >= 3  # word by word
    assert "".join(deltas).strip() == answer.text
    assert answer.mode == "llm" and not answer.cached
    # The fake quotes the first [mm:ss] it was sent: a real moment of the timeline.
    assert answer.citations and all(c.valid for c in answer.citations)
    sent = openai_fake.requests("chat")[0]["json"]
    assert sent["stream"] is True and sent["model"] == "fake-model"
    assert "[01:30]" in sent["messages"][1]["content"]
    assert answer.as_dict()["citations"][0]["frame_index"] is not None


def test_invalid_citations_are_flagged(
    tmp_path: Path, store: SessionStore, openai_fake: OpenAIFake
) -> None:
    openai_fake.script(reply_text="The bus arrives at [01:18] and leaves at [09:59].")
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)
    answer = answer_question(settings, store, SESSION, "when does the bus come?")
    assert [(c.text, c.valid) for c in answer.citations] == [("01:18", True), ("09:59", False)]
    assert answer.citations[0].frame_index == 26
    flagged = flag_invalid(answer.text, answer.citations)
    assert "[01:18]" in flagged and "[09:59 — not an analysed moment]" in flagged


def test_the_same_question_is_answered_from_the_cache(
    tmp_path: Path, store: SessionStore, openai_fake: OpenAIFake
) -> None:
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)
    first = answer_question(settings, store, SESSION, "Where is the harbour?")
    again = answer_question(settings, store, SESSION, "  where is the HARBOUR ")
    assert len(openai_fake.requests("chat")) == 1
    assert again.cached and again.text == first.text and again.mode == "llm"
    other_model = chat_settings(tmp_path, chat_base_url=openai_fake.base_url, chat_model="m2")
    answer_question(other_model, store, SESSION, "Where is the harbour?")
    assert len(openai_fake.requests("chat")) == 2
    turns = ChatHistory(store.session_dir(SESSION)).turns()
    assert [t["cached"] for t in turns] == [False, True, False]


@pytest.mark.parametrize(
    ("behaviour", "error", "words"),
    [
        ({"status": 401}, EndpointAuthError, "NEBIUS_API_KEY"),
        ({"status": 500}, EndpointServerError, "500"),
        ({"delay_s": 2.0}, EndpointTimeoutError, "did not answer within 0.5 s"),
    ],
)
def test_endpoint_errors_are_clear_and_never_stored(
    tmp_path: Path,
    store: SessionStore,
    openai_fake: OpenAIFake,
    behaviour: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    openai_fake.script(times=1, **behaviour)
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url, chat_timeout_s=0.5)
    with pytest.raises(error) as raised:
        answer_question(settings, store, SESSION, "What is on screen at 1:30?")
    assert words in str(raised.value).lower() or words in str(raised.value)
    assert "Traceback" not in str(raised.value)
    assert ChatHistory(store.session_dir(SESSION)).turns() == []
    # Nothing was cached: asking again calls the server, which now answers.
    answer = answer_question(settings, store, SESSION, "What is on screen at 1:30?")
    assert not answer.cached and len(openai_fake.requests("chat")) == 2


def test_without_a_configured_model_the_answer_is_retrieval_only(
    tmp_path: Path, store: SessionStore
) -> None:
    settings = chat_settings(tmp_path)  # the default cloud URL and no key
    assert not chat_model_configured(settings)
    answer = answer_question(settings, store, SESSION, "where does BAKERY appear?")
    assert answer.mode == "retrieval"
    assert answer.text.startswith("Retrieval only (no chat model configured)")
    assert "[01:00]" in answer.text and all(c.valid for c in answer.citations)
    assert answer.as_dict()["mode"] == "retrieval"


def test_which_settings_count_as_a_configured_model(tmp_path: Path) -> None:
    assert chat_model_configured(chat_settings(tmp_path, chat_api_key=SecretStr("k")))
    assert chat_model_configured(chat_settings(tmp_path, chat_base_url="http://localhost:11434/v1"))
    assert not chat_model_configured(chat_settings(tmp_path, chat_api_key=SecretStr("")))


def test_async_stream_for_the_api(
    tmp_path: Path, store: SessionStore, openai_fake: OpenAIFake
) -> None:
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)

    async def collect() -> list[AnswerEvent]:
        ready = await asyncio.to_thread(prepared, settings, store, "at 0:45 what stops?")
        return [e async for e in arun_answer(settings, ready)]

    events = asyncio.run(collect())
    assert sum(e.kind == "delta" for e in events) >= 3
    final = events[-1].answer
    assert final is not None and final.citations and final.citations[0].valid


def test_follow_ups_send_earlier_turns(
    tmp_path: Path, store: SessionStore, openai_fake: OpenAIFake
) -> None:
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)
    answer_question(settings, store, SESSION, "what is at 0:30?", history_turns=3)
    answer_question(settings, store, SESSION, "and after that?", history_turns=3)
    messages = openai_fake.requests("chat")[1]["json"]["messages"]
    assert [m["role"] for m in messages] == ["system", "system", "user", "assistant", "user"]
    assert messages[2]["content"] == "what is at 0:30?"


def test_empty_questions_are_refused(tmp_path: Path, store: SessionStore) -> None:
    with pytest.raises(InvalidQuestionError):
        answer_question(chat_settings(tmp_path), store, SESSION, "   ")


def test_citation_tolerance_follows_the_sampling_gap() -> None:
    frames = [StoredMoment(index=0, timestamp_s=0.0), StoredMoment(index=1, timestamp_s=10.4),
              StoredMoment(index=2, timestamp_s=40.0)]  # fmt: skip
    found = check_citations("[00:10] [00:11] [00:14] [00:30] [1:00:00] [00:00-00:10]", frames)
    assert [c.valid for c in found] == [True, True, True, True, False, True, True]
    assert found[0].frame_index == 1 and found[3].frame_index == 2
    assert check_citations("no citations here, 12:30 is not bracketed", frames) == []
    assert check_citations("[00:05]", []) == [check_citations("[00:05]", [])[0]]
    assert not check_citations("[00:05]", [])[0].valid


def test_retrieval_only_answer_leaves_out_moments_that_share_only_common_words() -> None:
    from videolens.chat.offline import Evidence, moments_answer
    from videolens.chat.retrieval import Context, Moment
    from videolens.timeline.clock import VideoClock

    moments = [
        Moment(1, 17.0, 1.0, "[00:17] SUNRISE on screen"),
        Moment(2, 12.0, 0.95, "[00:12] SUNRISE on screen"),
        Moment(3, 4.0, 0.12, "[00:04] HARBOR on screen"),
    ]
    context = Context("when is SUNRISE on screen?", moments, "", 0)
    answer = moments_answer(Evidence([], VideoClock()), context)
    assert "[00:17]" in answer and "[00:12]" in answer
    assert "HARBOR" not in answer
    assert answer.startswith("Retrieval only")
