"""Chat over a session's timeline: retrieval, prompts, cited answers, cache, history, summaries."""

from videolens.chat.answer import (
    Answer,
    AnswerEvent,
    answer_question,
    arun_answer,
    chat_model_configured,
    prepare_answer,
    run_answer,
)
from videolens.chat.citations import Citation, check_citations
from videolens.chat.retrieval import Context, Moment, Retriever
from videolens.chat.search import SearchHit, search_session, search_sessions
from videolens.chat.summary import summarize_session

__all__ = [
    "Answer",
    "AnswerEvent",
    "Citation",
    "Context",
    "Moment",
    "Retriever",
    "SearchHit",
    "answer_question",
    "arun_answer",
    "chat_model_configured",
    "check_citations",
    "prepare_answer",
    "run_answer",
    "search_session",
    "search_sessions",
    "summarize_session",
]
