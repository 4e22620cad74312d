"""The chat prompt: instructions, the retrieved context, recent turns, the question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from videolens.chat.retrieval import Context

# Bump whenever the wording changes: cached answers made with another prompt are not reused.
PROMPT_VERSION = "chat-2"

SYSTEM_PROMPT = """You answer questions about one video using only its analysed timeline.
The timeline lists moments as "[mm:ss] description | text: on-screen text | ...".
Rules:
- Base every statement on the timeline; if it does not say, answer that the analysed moments \
do not show it.
- Cite the moments you rely on with their timestamps exactly as written, in square \
brackets: [mm:ss].
- Never invent a timestamp that is not in the timeline.
- Be concise: a few sentences, or a short list for several moments."""


def build_messages(
    context: Context, question: str, history: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Chat-completions messages for ``question`` with ``context`` and earlier ``history`` turns.

    ``history`` holds ``{"question", "answer"}`` dicts, oldest first.
    """
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "system", "content": "Timeline of the video:\n" + context.render()},
    ]
    for turn in history:
        messages.append({"role": "user", "content": str(turn["question"])})
        messages.append({"role": "assistant", "content": str(turn["answer"])})
    messages.append({"role": "user", "content": question})
    return messages


RELEVANT_SHARE_OF_BEST = 0.5


def retrieval_answer(context: Context, limit: int = 5) -> str:
    """The answer without a chat model: the best-matching moments, labelled as retrieval only."""
    if not context.moments:
        return (
            "Retrieval only (no chat model configured): no analysed moment matches this question."
        )
    # Moments far below the best match only share common words ("on screen") with the question:
    # shown without a model to judge them, they read as if they were answers too.
    best = max(moment.score for moment in context.moments)
    relevant = [m for m in context.moments if m.score >= RELEVANT_SHARE_OF_BEST * best]
    lines = ["Retrieval only (no chat model configured) — the best-matching moments:"]
    lines += [f"- {moment.line}" for moment in relevant[:limit]]
    return "\n".join(lines)
