"""Questions across the library, answered from the index: "which videos …", "how often …",
"the last time …", "summarize what the cameras saw yesterday", and otherwise the moments that
match best.

Offline the answer is written from counts and presence; with a chat model those facts and the
best moments are its context. Either way every ``[video title @ time]`` cited is checked to
exist among the videos the asker may see.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from videolens.chat.model_client import chat_client, chat_model_configured
from videolens.config import Settings
from videolens.library.citations import LibraryCitation, check_citations, cite
from videolens.library.index import LibraryIndex
from videolens.library.periods import UTC, asked_period, within
from videolens.library.query_words import query_words
from videolens.library.records import LibraryFilter, LibraryHit, VideoMatches
from videolens.library.rows import labels_in
from videolens.timeline.clock import Zone

QuestionKind = Literal["summary", "which", "how_often", "last", "moments"]
_KINDS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    (
        "summary",
        re.compile(
            r"\b(summari[sz]e|summary|overview|recap|what happened)\b"
            r"|\bwhat (did|do|have) .*\b(see|seen|saw|show|showed|shown|record|recorded)\b",
            re.I,
        ),
    ),
    ("how_often", re.compile(r"\bhow (often|many times|many)\b", re.I)),
    ("last", re.compile(r"\b(last time|most recent(ly)?|latest)\b|\bwhen\b.*\blast\b", re.I)),
    ("which", re.compile(r"\b(which|what) (videos?|clips?|recordings?|cameras?|streams?)\b", re.I)),
)
CONTEXT_MOMENTS = 20
LISTED_VIDEOS = 10
LISTED_LABELS = 6  # per video, in a summary
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
    settings: Settings,
    index: LibraryIndex,
    question: str,
    chosen: LibraryFilter,
    zone: Zone = UTC,
    now: float | None = None,
) -> LibraryAnswer:
    """Answer ``question`` over the videos ``chosen`` lets the asker see, in the period it names
    ("yesterday", "the past 3 days", "since 9": in the asker's ``zone``, at ``now``); the words
    searched for are the question's without that period."""
    kind = question_kind(question)
    period = asked_period(question, zone, time.time() if now is None else now)
    asked = within(chosen, period)
    searched = period.rest if period else question
    if kind == "summary":
        facts = period_summary(index, asked, period.said if period else "in the library")
    else:
        facts = offline_answer(index, searched, kind, asked)
    if not chat_model_configured(settings):
        text, mode, model = facts, "offline", None
    else:
        hits = index.search(searched, asked, CONTEXT_MOMENTS)
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


def period_summary(index: LibraryIndex, chosen: LibraryFilter, when: str) -> str:
    """What the chosen videos' frames showed (``chosen``'s dates bound the moments): per video,
    most frames first, each label with how many frames showed it and the first of them cited."""
    seen: dict[str, _Seen] = {}
    for video_id, labels, count, first_at in index.frames_seen(chosen):
        found = seen.setdefault(video_id, _Seen(first_at=first_at))
        found.add(labels_in(labels), count, first_at)
    if not seen:
        return f"Nothing was seen {when}: no video in the library has moments then."
    ranked = sorted(seen.items(), key=lambda item: (-item[1].frames, item[0]))
    lines = [_video_seen(index, video_id, found) for video_id, found in ranked[:LISTED_VIDEOS]]
    total = sum(found.frames for found in seen.values())
    return (f"What the cameras saw {when}: {_times(total)} in {_videos(len(seen))}.\n"
            + "\n".join(line for line in lines if line) + _more(list(seen)))  # fmt: skip


@dataclass
class _Seen:
    """One video's frames in a summary: how many, the first, and per label how many and the
    first that showed it."""

    first_at: float
    frames: int = 0
    labels: dict[str, tuple[int, float]] = field(default_factory=dict)

    def add(self, labels: list[str], count: int, first_at: float) -> None:
        self.frames += count
        self.first_at = min(self.first_at, first_at)
        for label in labels:
            before, at = self.labels.get(label, (0, first_at))
            self.labels[label] = (before + count, min(at, first_at))


def _video_seen(index: LibraryIndex, video_id: str, seen: _Seen) -> str:
    video = index.video(video_id)
    if video is None:  # removed meanwhile
        return ""
    shown = sorted(seen.labels.items(), key=lambda item: (-item[1][0], item[0]))
    parts = []
    for label, (count, first_at) in shown[:LISTED_LABELS]:
        moment = index.moment_at(video_id, first_at)
        if moment is not None:
            parts.append(f"{label} in {_times(count)}, first {cite(video, moment)}")
    first = index.moment_at(video_id, seen.first_at)
    if not parts and first is not None:
        parts.append(f"nothing detected, first {cite(video, first)}")
    return f"- {video.title} ({_times(seen.frames)}): " + "; ".join(parts)


def _said_of(matches: VideoMatches) -> str:
    return matches.last.description or matches.last.speech or matches.last.text


def _times(count: int) -> str:
    return "1 moment" if count == 1 else f"{count} moments"


def _videos(count: int) -> str:
    return "1 video" if count == 1 else f"{count} videos"


def _more(matches: list[VideoMatches] | list[str]) -> str:
    rest = len(matches) - LISTED_VIDEOS
    return f"\n… and {_videos(rest)} more." if rest > 0 else ""
