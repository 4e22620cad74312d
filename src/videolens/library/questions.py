"""Questions across the library, answered from the index: "which videos …", "how often …",
"the last time …", and otherwise the moments that match best.

Offline the answer is written from counts and presence; with a chat model those facts and the
best moments are its context. Either way every ``[video title @ time]`` cited is checked to
exist among the videos the asker may see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from videolens.chat.model_client import chat_client, chat_model_configured
from videolens.config import Settings
from videolens.library.citations import LibraryCitation, check_citations, cite
from videolens.library.index import LibraryIndex
from videolens.library.query_words import query_words
from videolens.library.records import LibraryFilter, LibraryHit, VideoMatches

QuestionKind = Literal["which", "how_often", "last", "moments"]
_KINDS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    ("how_often", re.compile(r"\bhow (often|many times|many)\b", re.I)),
    ("last", re.compile(r"\b(last time|most recent(ly)?|latest)\b|\bwhen\b.*\blast\b", re.I)),
    ("which", re.compile(r"\b(which|what) (videos?|clips?|recordings?|cameras?|streams?)\b", re.I)),
)
CONTEXT_MOMENTS = 20
LISTED_VIDEOS = 10
SYSTEM_PROMPT = (
    "You answer questions about a user's library of videos from the facts and moments below, "
    "which come from an index of every analysed moment. Cite each moment you rely on exactly as "
    "it is written, e.g. [cam1.mp4 @ 01:05]. Say so when the moments do not answer the question."
)


@dataclass
class LibraryAnswer:
    """The answer, how it was made (``offline`` or ``llm``) and its checked citations."""

    question: str
    kind: QuestionKind
    answer: str
    mode: Literal["offline", "llm"]
    citations: list[LibraryCitation] = field(default_factory=list)
    model: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "kind": self.kind, "answer": self.answer,
            "mode": self.mode, "model": self.model,
            "citations": [c.as_dict() for c in self.citations],
        }  # fmt: skip


def question_kind(question: str) -> QuestionKind:
    for kind, pattern in _KINDS:
        if pattern.search(question):
            return kind
    return "moments"


def answer_question(
    settings: Settings, index: LibraryIndex, question: str, chosen: LibraryFilter
) -> LibraryAnswer:
    """Answer ``question`` over the videos ``chosen`` lets the asker see."""
    kind = question_kind(question)
    facts = offline_answer(index, question, kind, chosen)
    if not chat_model_configured(settings):
        text, mode, model = facts, "offline", None
    else:
        hits = index.search(question, chosen, CONTEXT_MOMENTS)
        with chat_client(settings) as client:
            text = client.chat(_messages(question, facts, hits))
        mode, model = "llm", settings.chat_model
    citations = check_citations(index, text, chosen)
    return LibraryAnswer(question, kind, text, mode, citations, model)  # type: ignore[arg-type]


def _messages(question: str, facts: str, hits: list[LibraryHit]) -> list[dict[str, Any]]:
    lines = [f"{cite(h.video, h.moment)} {_said(h)}" for h in hits]
    context = f"Facts from the index:\n{facts}\n\nBest-matching moments:\n" + "\n".join(lines)
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"{context}\n\nQuestion: {question}"},
    ]


def _said(hit: LibraryHit) -> str:
    moment = hit.moment
    parts = [
        moment.description,
        moment.labels and f"(seen: {moment.labels})",
        moment.text and f'(text: "{moment.text}")',
        moment.speech and f'(said: "{moment.speech}")',
    ]
    return " ".join(p for p in parts if p)


def offline_answer(
    index: LibraryIndex, question: str, kind: QuestionKind, chosen: LibraryFilter
) -> str:
    """The answer from counts and presence alone."""
    words = query_words(question)
    topic = " ".join(words)
    if not words:
        return "Ask about something seen, read or said (e.g. 'which videos show a car?')."
    if kind == "moments":
        hits = index.search(question, chosen, 5)
        if not hits:
            return f'No moment in the library matches "{topic}".'
        return "The best-matching moments:\n" + "\n".join(
            f"- {cite(h.video, h.moment)} {_said(h)}" for h in hits
        )
    present = index.present_words(question, chosen)
    matches = index.matches(" ".join(present), chosen) if present else []
    topic = " ".join(present) or topic
    if not matches:
        return f'No video in the library shows "{topic}".'
    if kind == "last":
        latest = max(matches, key=lambda m: (m.last.happened_at, m.video.created_at, m.last.at_s))
        where = cite(latest.video, latest.last)
        return f'The last time "{topic}" was seen: {where} {_said_of(latest)}'
    if kind == "how_often":
        total = sum(m.count for m in matches)
        lines = [f"- {m.video.title}: {_times(m.count)}, first {cite(m.video, m.first)}, "
                 f"last {cite(m.video, m.last)}" for m in matches[:LISTED_VIDEOS]]  # fmt: skip
        return (f'"{topic}": {_times(total)} in {_videos(len(matches))}.\n' + "\n".join(lines)
                + _more(matches))  # fmt: skip
    lines = [f"- {m.video.title}: {_times(m.count)}, first {cite(m.video, m.first)}"
             for m in matches[:LISTED_VIDEOS]]  # fmt: skip
    return f'"{topic}" appears in {_videos(len(matches))}:\n' + "\n".join(lines) + _more(matches)


def _said_of(matches: VideoMatches) -> str:
    return matches.last.description or matches.last.speech or matches.last.text


def _times(count: int) -> str:
    return "1 moment" if count == 1 else f"{count} moments"


def _videos(count: int) -> str:
    return "1 video" if count == 1 else f"{count} videos"


def _more(matches: list[VideoMatches]) -> str:
    rest = len(matches) - LISTED_VIDEOS
    return f"\n… and {_videos(rest)} more." if rest > 0 else ""
