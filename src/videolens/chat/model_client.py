"""The chat model's endpoint: whether one is configured, and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeVar

from videolens.config import Settings
from videolens.openai_compat import AsyncOpenAICompatClient, OpenAICompatClient

DEFAULT_CHAT_BASE_URL = str(Settings.model_fields["chat_base_url"].default)
CHAT_KEY_HINT = "VIDEOLENS_CHAT_API_KEY (or NEBIUS_API_KEY)"


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


_Client = TypeVar("_Client", OpenAICompatClient, AsyncOpenAICompatClient)


def _configured(client_class: type[_Client], settings: Settings) -> _Client:
    return client_class(
        settings.chat_base_url,
        settings.chat_model,
        _key(settings),
        settings.chat_timeout_s,
        key_hint=CHAT_KEY_HINT,
    )


def chat_client(settings: Settings) -> OpenAICompatClient:
    """A blocking client for the configured chat endpoint."""
    return _configured(OpenAICompatClient, settings)


def async_chat_client(settings: Settings) -> AsyncOpenAICompatClient:
    """An asyncio client for the configured chat endpoint."""
    return _configured(AsyncOpenAICompatClient, settings)


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
