"""The chat prompt: instructions, the retrieved context, recent turns, the question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from videolens.chat.retrieval import Context

# Bump whenever the wording changes: cached answers made with another prompt are not reused.
PROMPT_VERSION = "chat-3"

SYSTEM_PROMPT = """You answer questions about one video using only its analysed timeline.
The timeline lists moments as "[mm:ss] description | text: on-screen text | ...", and may \
list tracks: each one object followed across frames ("#3 person 00:04\u201300:19, in at left, \
out at right, left to right, red"); count different people or cars from the tracks.
Rules:
- Base every statement on the timeline; if it does not say, answer that the analysed moments \
do not show it.
- Cite the moments you rely on with their timestamps exactly as written, in square \
brackets: [mm:ss].
- Never invent a timestamp that is not in the timeline.
- Be concise: a few sentences, or a short list for several moments."""

STREAM_SYSTEM_PROMPT = """You answer questions about one live video stream using only its \
analysed frames.
The timeline lists frames as "{form} description | text: on-screen text | ..." in local \
wall-clock time ({zone}).
Rules:
- Base every statement on the timeline; if it does not say, answer that the analysed frames do \
not show it.
- Cite the frames you rely on with their times exactly as written, in square brackets: {form}.
- Never invent a time that is not in the timeline.
- Give times as local wall-clock times, as the timeline does.
- Be concise: a few sentences, or a short list for several moments."""


def stream_rules(with_date: bool, zone: str) -> str:
    """The system prompt for a live stream whose times are in ``zone`` (described)."""
    form = "[YYYY-MM-DD HH:MM:SS]" if with_date else "[HH:MM:SS]"
    return STREAM_SYSTEM_PROMPT.format(form=form, zone=zone)


def build_messages(
    context: Context,
    question: str,
    history: Sequence[dict[str, Any]] = (),
    *,
    rules: str = SYSTEM_PROMPT,
    subject: str = "video",
) -> list[dict[str, Any]]:
    """Chat-completions messages for ``question`` with ``context`` and earlier ``history`` turns:
    the ``rules``, the timeline of the ``subject`` (``video``, ``stream``), the turns, the
    question.

    ``history`` holds ``{"question", "answer"}`` dicts, oldest first.
    """
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": rules},
        {"role": "system", "content": f"Timeline of the {subject}:\n" + context.render()},
    ]
    for turn in history:
        messages.append({"role": "user", "content": str(turn["question"])})
        messages.append({"role": "assistant", "content": str(turn["answer"])})
    messages.append({"role": "user", "content": question})
    return messages
