"""The summary stage: the chat model when configured, the shots when it is not or it fails."""

from __future__ import annotations

import json

from pydantic import SecretStr

from analysis_sessions import analyse
from openai_fake import OpenAIFake
from videolens.config import Settings
from videolens.video.synthetic import ClipSpec


def test_summary_and_chapters_come_from_the_chat_model(
    settings: Settings, text_clip: ClipSpec, openai_fake: OpenAIFake
) -> None:
    summary = "Three title cards: a welcome, a harbor and a sunrise."
    openai_fake.script_summary(
        summary,
        [("00:00", "Welcome"), ("00:03", "Harbor"), ("00:06", "Sunrise")],
        only="chat",
    )
    settings = settings.model_copy(
        update={"chat_base_url": openai_fake.base_url, "chat_model": "fake-model"}
    )
    document = analyse(settings, text_clip.path)
    assert document["status"] == "completed"
    assert document["summary_mode"] == "llm"
    assert document["summary"] == summary
    assert [(c["start_s"], c["title"]) for c in document["chapters"]] == [
        (0.0, "Welcome"),
        (3.0, "Harbor"),
        (6.0, "Sunrise"),
    ]
    prompts = json.dumps(openai_fake.requests("chat"))
    assert "HARBOR" in prompts  # the frames' descriptions reached the model


def test_a_rejected_chat_key_falls_back_to_shot_chapters(
    settings: Settings, text_clip: ClipSpec, openai_fake: OpenAIFake
) -> None:
    openai_fake.script(status=401, only="chat")
    settings = settings.model_copy(
        update={"chat_base_url": openai_fake.base_url, "chat_api_key": SecretStr("wrong")}
    )
    document = analyse(settings, text_clip.path)
    assert document["status"] == "completed"
    assert document["summary_mode"] == "shots"
    assert len(document["chapters"]) == 3
    assert len(openai_fake.requests("chat")) == 1, "a 401 must not be retried"
