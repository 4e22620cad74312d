"""The final JSON of a chat answer, about a video session or a live stream."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from videolens.timeline.model import Record


class ChatCitation(Record):
    """One cited time in an answer: the frame it matches (if any) and whether it is evidence.

    A session's citation has ``timestamp_s`` (and ``frame_index``, ``kind``, ``segment_index``);
    a stream's has ``text``, ``at``, ``seq`` and ``frame_at`` (wall clock, Unix seconds).
    """

    valid: bool = Field(description="Whether the cited time matches stored evidence.")
    text: str | None = Field(default=None, description="The time as written in the answer.")
    timestamp_s: float | None = Field(default=None, description="Sessions: seconds cited.")
    frame_index: int | None = Field(default=None, description="Sessions: the matched frame.")
    kind: str | None = Field(
        default=None, description="Sessions: ``frame``, ``speech`` or null (invalid)."
    )
    segment_index: int | None = Field(
        default=None, description="Sessions: the speech segment the time falls in."
    )
    at: float | None = Field(default=None, description="Streams: the cited wall-clock time.")
    seq: int | None = Field(default=None, description="Streams: the matched frame.")
    frame_at: float | None = Field(default=None, description="Streams: the matched frame's time.")


class ChatRange(Record):
    """Streams: the wall-clock range the answer read."""

    since: float | None = None
    until: float | None = None
    label: str | None = None


class ChatAnswer(Record):
    """A chat answer with its checked citations (the last line of a chat response)."""

    answer: str = Field(description="The answer's text, with ``[time]`` citations.")
    mode: str = Field(description="How it was made, e.g. ``llm``, ``offline``, ``extractive``.")
    citations: list[ChatCitation] = Field(default_factory=list)
    model: str | None = Field(default=None, description="The chat model, when one answered.")
    cached: bool | None = Field(default=None, description="Sessions: served from the cache.")
    time_zone: str | None = Field(default=None, description="Streams: the zone times are in.")
    range: ChatRange | None = None


def chat_answer_responses() -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a chat route: NDJSON lines whose last one is a ``ChatAnswer``.

    The schema is a reference to the ``ChatAnswer`` component, which ``create_app`` registers.
    """
    return {
        200: {
            "description": "NDJSON: text deltas, then the final answer (a ChatAnswer)",
            "content": {
                "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/ChatAnswer"}}
            },
        }
    }
