"""The kinds of question the offline answers tell apart, and which of them they answer.

One table: ``intents.classify`` names a question's kind, ``offline`` answers the kinds marked
handled and gives the others one plain sentence (``DECLINED``) saying so and what it can say
instead. ``docs/question-kinds.md`` shows the same table (``kinds_markdown``; a test keeps the
two equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

KindName = Literal[
    "summary", "count", "distinct", "first", "leave", "direction", "colour", "presence",
    "text", "speech", "find", "declined",
]  # fmt: skip

Handled = Literal["yes", "with tracks", "with colours", "no"]


@dataclass(frozen=True)
class QuestionKind:
    """A kind of question: how people ask it, whether the offline mode answers it, and how."""

    name: KindName
    example: str
    handled: Handled
    answer: str


QUESTION_KINDS: tuple[QuestionKind, ...] = (
    QuestionKind("summary", "What is this video about?", "yes",
                 "the stored (or an extractive) summary and the chapters"),
    QuestionKind("count", "How many people are there?", "yes",
                 "the most seen at once, where, and how it varies"),
    QuestionKind("distinct", "How many different people walked past?", "with tracks",
                 "the tracks of that kind; without tracks it says so and gives the most at once"),
    QuestionKind("first", "When does someone first appear?", "yes",
                 "the first track's start and edge (else the first moment showing it)"),
    QuestionKind("leave", "When does the last person leave?", "yes",
                 "the tracks' exits and edges (else where the moments stop showing it)"),
    QuestionKind("direction", "Which way do they go?", "with tracks",
                 "the tracks' headings, counted; without tracks: declined"),
    QuestionKind("colour", "What colour is the van?", "with colours",
                 "the measured colour of each tracked (or detected) object"),
    QuestionKind("presence", "Is there a dog?", "yes",
                 "when it is in view; a no only where the detector looked, saying what it saw"),
    QuestionKind("text", "What does the sign say?", "yes", "the on-screen text, first seen"),
    QuestionKind("speech", "What do they say about the bus?", "yes", "the transcript's lines"),
    QuestionKind("find", "Where is the EXIT?", "yes",
                 "the moments whose words best match, called that"),
    QuestionKind("declined", "Why did he stop? / What colour is her dress?", "no",
                 "one sentence: what it cannot tell, and what it can say instead"),
)  # fmt: skip

DeclineReason = Literal["why", "who", "speed", "age", "feeling", "garment", "other"]

CAN_SAY = (
    "count people and objects, say when they appear and leave (with tracks: how many different "
    "ones and which way they go), name measured colours, list what is written and said, "
    "summarise, or find moments by their words"
)

DECLINED: dict[DeclineReason, str] = {
    "why": "I can't tell why something happens: the analysed moments record what was detected, "
    "read and said, not reasons",
    "who": "I can't tell who anyone is: people are detected and counted, not recognised",
    "speed": "I can't tell how fast anything goes: speed is not measured",
    "age": "I can't tell anyone's age: ages are not estimated",
    "feeling": "I can't tell how anyone feels: moods are not measured",
    "garment": "I can't tell the colour of a piece of clothing: clothes are not picked out, "
    "a colour is measured for each whole person or object (ask \u201cwhat colour are the "
    "people?\u201d)",
    "other": "I can't answer this kind of question without a chat model",
}
"""What each declined question gets, before ``CAN_SAY``."""


def declined_sentence(reason: DeclineReason) -> str:
    """The whole answer to a declined question: what cannot be told, what can."""
    return f"{DECLINED[reason]}; offline, I can {CAN_SAY}."


def kinds_markdown() -> str:
    """The table of question kinds as markdown (``docs/question-kinds.md`` holds it)."""
    lines = ["| kind | asked like | answered offline | the answer |", "|---|---|---|---|"]
    for kind in QUESTION_KINDS:
        lines.append(f"| {kind.name} | \u201c{kind.example}\u201d | {kind.handled} | "
                     f"{kind.answer} |")  # fmt: skip
    return "\n".join(lines) + "\n"
