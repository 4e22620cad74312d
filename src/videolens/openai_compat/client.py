"""Small sync and async clients for OpenAI-compatible chat completions (vLLM, SGLang, Ollama,
Nebius AI Studio, OpenAI).

They do no retries: Temporal (or the caller) decides when to try again. Every failure is an
``EndpointError`` subclass whose message says what to do and never contains the API key.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar
from urllib.parse import urlsplit

import httpx

from videolens.errors import ConfigurationError
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

if TYPE_CHECKING:
    from typing_extensions import Unpack

logger = logging.getLogger(__name__)

DEFAULT_KEY_HINT = "the endpoint's API key setting"
CONNECT_TIMEOUT_S = 10.0
CHAT_TEMPERATURE = 0.0
"""The temperature of a ``chat`` request that names none."""
STREAM_TEMPERATURE = 0.2
"""The temperature of a ``stream_chat`` request that names none."""
_STREAM_HEADERS = {"Accept": "text/event-stream"}

_Transport = TypeVar("_Transport", httpx.BaseTransport, httpx.AsyncBaseTransport)
_Http = TypeVar("_Http", httpx.Client, httpx.AsyncClient)


class StreamOptions(TypedDict, total=False):
    """What a request may set besides its messages (keywords of ``stream_chat``)."""

    max_tokens: int | None
    """The most tokens the reply may take; None: the server's limit."""
    temperature: float
    """Sampling temperature; unset: ``CHAT_TEMPERATURE`` or ``STREAM_TEMPERATURE``."""


class ChatOptions(StreamOptions, total=False):
    """The keywords of ``chat``: those of ``StreamOptions`` and a response format."""

    response_format: dict[str, Any] | None
    """E.g. ``{"type": "json_object"}``; None: free text."""


class _ClientBase(Generic[_Transport, _Http]):
    """What the sync and the async client share; each says only how it opens its connection."""

    _http: _Http

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        transport: _Transport | None = None,
        *,
        key_hint: str = DEFAULT_KEY_HINT,
    ) -> None:
        """``key_hint`` names the setting an auth error tells the user to check; ``transport``
        stands in for the network (tests)."""
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
        self._http = self._open(transport)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({display_url(self.base_url)!r}, model={self.model!r})"

    def _open(self, transport: _Transport | None) -> _Http:
        """The HTTP client this client sends through (one connection pool)."""
        raise NotImplementedError

    def _payload(
        self,
        messages: list[dict[str, Any]],
        options: StreamOptions,
        *,
        stream: bool,
        response_format: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The request body, logged without content."""
        logger.debug(
            "POST %s (model %s, %d messages, stream=%s)",
            display_url(self._chat_url),
            self.model,
            len(messages),
            stream,
        )
        return chat_payload(
            self.model,
            messages,
            max_tokens=options.get("max_tokens"),
            temperature=options.get(
                "temperature", STREAM_TEMPERATURE if stream else CHAT_TEMPERATURE
            ),
            stream=stream,
            response_format=response_format,
        )

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

    @contextmanager
    def _transport_errors(self, url: str) -> Iterator[None]:
        """Raises an httpx transport failure inside as the ``EndpointError`` it means."""
        try:
            yield
        except httpx.RequestError as exc:
            raise error_for_transport(exc, url=url, timeout_s=self.timeout_s) from exc


def _is_sse(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


class OpenAICompatClient(_ClientBase[httpx.BaseTransport, httpx.Client]):
    """A blocking client; safe to share between threads (one connection pool)."""

    def _open(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client(headers=self._headers, timeout=self._timeout, transport=transport)

    def chat(self, messages: list[dict[str, Any]], **options: Unpack[ChatOptions]) -> str:
        """The assistant's reply to ``messages``, in one piece."""
        response_format = options.get("response_format")
        payload = self._payload(messages, options, stream=False, response_format=response_format)
        return self._reply_text(self._request("POST", self._chat_url, payload))

    def stream_chat(
        self, messages: list[dict[str, Any]], **options: Unpack[StreamOptions]
    ) -> Iterator[str]:
        """The reply as text deltas, as the server streams them (the request starts on the first
        ``next``). Closing the iterator early closes the connection."""
        url = self._chat_url
        payload = self._payload(messages, options, stream=True)
        reader = StreamReader(url, self._redact)
        with (
            self._transport_errors(url),
            self._http.stream("POST", url, json=payload, headers=_STREAM_HEADERS) as response,
        ):
            if response.status_code >= 400 or not _is_sse(response):
                response.read()
                yield self._unstreamed_text(response)
                return
            for line in response.iter_lines():
                if text := reader.feed(line):
                    yield text
                if reader.done:
                    break
            reader.check_complete()

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
        with self._transport_errors(url):
            response = self._http.request(method, url, json=payload)
        self._check(response, url)
        return response


class AsyncOpenAICompatClient(_ClientBase[httpx.AsyncBaseTransport, httpx.AsyncClient]):
    """The asyncio twin of ``OpenAICompatClient``."""

    def _open(self, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(headers=self._headers, timeout=self._timeout, transport=transport)

    async def chat(self, messages: list[dict[str, Any]], **options: Unpack[ChatOptions]) -> str:
        """The assistant's reply to ``messages``, in one piece."""
        response_format = options.get("response_format")
        payload = self._payload(messages, options, stream=False, response_format=response_format)
        return self._reply_text(await self._request("POST", self._chat_url, payload))

    async def stream_chat(
        self, messages: list[dict[str, Any]], **options: Unpack[StreamOptions]
    ) -> AsyncIterator[str]:
        """The reply as text deltas. Close it (``contextlib.aclosing``) when stopping early."""
        url = self._chat_url
        payload = self._payload(messages, options, stream=True)
        reader = StreamReader(url, self._redact)
        with self._transport_errors(url):
            async with self._http.stream(
                "POST", url, json=payload, headers=_STREAM_HEADERS
            ) as response:
                if response.status_code >= 400 or not _is_sse(response):
                    await response.aread()
                    yield self._unstreamed_text(response)
                    return
                async for line in response.aiter_lines():
                    if text := reader.feed(line):
                        yield text
                    if reader.done:
                        break
                reader.check_complete()

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
        with self._transport_errors(url):
            response = await self._http.request(method, url, json=payload)
        self._check(response, url)
        return response
