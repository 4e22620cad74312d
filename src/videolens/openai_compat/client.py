"""Small sync and async clients for OpenAI-compatible chat completions (vLLM, SGLang, Ollama,
Nebius AI Studio, OpenAI).

They do no retries: Temporal (or the caller) decides when to try again. Every failure is an
``EndpointError`` subclass whose message says what to do and never contains the API key.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from videolens.errors import ConfigurationError
from videolens.openai_compat.errors import EndpointError
from videolens.openai_compat.protocol import (
    Redactor,
    StreamReader,
    chat_payload,
    completion_text,
    display_url,
    endpoint_url,
    error_for_status,
    error_for_transport,
    model_ids,
    reply_json,
    request_headers,
)

logger = logging.getLogger(__name__)

DEFAULT_KEY_HINT = "the endpoint's API key setting"
CONNECT_TIMEOUT_S = 10.0
_STREAM_HEADERS = {"Accept": "text/event-stream"}


class _ClientBase:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout_s: float,
        key_hint: str,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ConfigurationError(
                f"the endpoint base URL {display_url(base_url)!r} must start with http:// or "
                "https://, e.g. http://127.0.0.1:8000/v1"
            )
        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s
        self._headers = request_headers(api_key)
        self._redact = Redactor(api_key)
        self._key_hint = key_hint
        self._chat_url = endpoint_url(base_url, "chat/completions")
        self._models_url = endpoint_url(base_url, "models")
        self._timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({display_url(self.base_url)!r}, model={self.model!r})"

    def _payload(self, messages: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
        """The request body (``options``: those of ``chat_payload``), logged without content."""
        logger.debug(
            "POST %s (model %s, %d messages, stream=%s)",
            display_url(self._chat_url),
            self.model,
            len(messages),
            options["stream"],
        )
        return chat_payload(self.model, messages, **options)

    def _reply_text(self, response: httpx.Response) -> str:
        """The text of a checked, unstreamed chat completion."""
        url = self._chat_url
        return completion_text(reply_json(response.content, url=url, redact=self._redact), url=url)

    def _models(self, response: httpx.Response) -> list[str]:
        url = self._models_url
        return model_ids(reply_json(response.content, url=url, redact=self._redact), url=url)

    def _unstreamed_text(self, response: httpx.Response) -> str:
        """The reply to a streamed request that came back as an error (raised) or as one
        completion (from a server that ignores "stream")."""
        self._check(response, self._chat_url)
        return self._reply_text(response)

    def _check(self, response: httpx.Response, url: str) -> None:
        error = error_for_status(
            response, response.text, url=url, key_hint=self._key_hint, redact=self._redact
        )
        if error is not None:
            raise error

    def _transport_error(self, exc: httpx.RequestError, url: str) -> EndpointError:
        return error_for_transport(exc, url=url, timeout_s=self.timeout_s)


def _is_sse(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


class OpenAICompatClient(_ClientBase):
    """A blocking client; safe to share between threads (one connection pool)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        *,
        key_hint: str = DEFAULT_KEY_HINT,
    ) -> None:
        """``key_hint`` names the setting an auth error tells the user to check."""
        super().__init__(base_url, model, api_key, timeout_s, key_hint)
        self._http = httpx.Client(headers=self._headers, timeout=self._timeout, transport=transport)

    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        response_format: dict[str, Any] | None = None,
    ) -> str:
        """The assistant's reply to ``messages``, in one piece."""
        payload = self._payload(
            messages,
            max_tokens=max_tokens,
            temperature=temperature,
            stream=False,
            response_format=response_format,
        )
        return self._reply_text(self._request("POST", self._chat_url, payload))

    def stream_chat(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.2,
    ) -> Iterator[str]:
        """The reply as text deltas, as the server streams them (the request starts on the first
        ``next``). Closing the iterator early closes the connection."""
        url = self._chat_url
        payload = self._payload(
            messages, max_tokens=max_tokens, temperature=temperature, stream=True
        )
        reader = StreamReader(url, self._redact)
        try:
            with self._http.stream("POST", url, json=payload, headers=_STREAM_HEADERS) as response:
                if response.status_code >= 400 or not _is_sse(response):
                    response.read()
                    yield self._unstreamed_text(response)
                    return
                for line in response.iter_lines():
                    text = reader.feed(line)
                    if text:
                        yield text
                    if reader.done:
                        break
                reader.check_complete()
        except httpx.RequestError as exc:
            raise self._transport_error(exc, url) from exc

    def list_models(self) -> list[str]:
        """The model ids the endpoint serves (``GET /models``)."""
        return self._models(self._request("GET", self._models_url))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenAICompatClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(self, method: str, url: str, payload: Any = None) -> httpx.Response:
        try:
            response = self._http.request(method, url, json=payload)
        except httpx.RequestError as exc:
            raise self._transport_error(exc, url) from exc
        self._check(response, url)
        return response


class AsyncOpenAICompatClient(_ClientBase):
    """The asyncio twin of ``OpenAICompatClient``."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        key_hint: str = DEFAULT_KEY_HINT,
    ) -> None:
        super().__init__(base_url, model, api_key, timeout_s, key_hint)
        self._http = httpx.AsyncClient(
            headers=self._headers, timeout=self._timeout, transport=transport
        )

    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        response_format: dict[str, Any] | None = None,
    ) -> str:
        """The assistant's reply to ``messages``, in one piece."""
        payload = self._payload(
            messages,
            max_tokens=max_tokens,
            temperature=temperature,
            stream=False,
            response_format=response_format,
        )
        return self._reply_text(await self._request("POST", self._chat_url, payload))

    async def stream_chat(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.2,
    ) -> AsyncIterator[str]:
        """The reply as text deltas. Close it (``contextlib.aclosing``) when stopping early."""
        url = self._chat_url
        payload = self._payload(
            messages, max_tokens=max_tokens, temperature=temperature, stream=True
        )
        reader = StreamReader(url, self._redact)
        try:
            async with self._http.stream(
                "POST", url, json=payload, headers=_STREAM_HEADERS
            ) as response:
                if response.status_code >= 400 or not _is_sse(response):
                    await response.aread()
                    yield self._unstreamed_text(response)
                    return
                async for line in response.aiter_lines():
                    text = reader.feed(line)
                    if text:
                        yield text
                    if reader.done:
                        break
                reader.check_complete()
        except httpx.RequestError as exc:
            raise self._transport_error(exc, url) from exc

    async def list_models(self) -> list[str]:
        """The model ids the endpoint serves (``GET /models``)."""
        return self._models(await self._request("GET", self._models_url))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncOpenAICompatClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _request(self, method: str, url: str, payload: Any = None) -> httpx.Response:
        try:
            response = await self._http.request(method, url, json=payload)
        except httpx.RequestError as exc:
            raise self._transport_error(exc, url) from exc
        self._check(response, url)
        return response
