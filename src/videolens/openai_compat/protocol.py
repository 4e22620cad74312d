"""The wire protocol, without I/O: URLs, request bodies, status codes to errors, replies to text.

Shared by the sync and the async client so both behave the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from videolens.openai_compat import errors

SERVER_MESSAGE_CHARS = 300
"""How much of a server's own error message is quoted in ours."""
REDACTED = "***"


def endpoint_url(base_url: str, path: str) -> str:
    """``base_url`` with ``path`` appended, tolerating a trailing slash on the base."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def display_url(url: str) -> str:
    """``url`` safe to show: user info and query string (where keys sometimes hide) removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def request_headers(api_key: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def chat_payload(
    model: str,
    messages: list[dict[str, Any]],
    *,
    max_tokens: int | None,
    temperature: float,
    stream: bool,
    response_format: dict[str, Any] | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": temperature,
        "stream": stream,
    }
    if max_tokens is not None:
        payload["max_tokens"] = max_tokens
    if response_format is not None:
        payload["response_format"] = response_format
    return payload


class Redactor:
    """Removes the API key from any text a message might quote (servers echo keys back)."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or None

    def __call__(self, text: str) -> str:
        return text.replace(self._secret, REDACTED) if self._secret else text


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` as seconds or an HTTP-date."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if seconds == seconds else None  # NaN is no hint


def server_message(body: str, redact: Redactor) -> str:
    """The server's own error message (``{"error": {"message": ...}}`` or the raw body), short."""
    text = body.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            text = error if isinstance(error, str) else json.dumps(error)
    text = " ".join(redact(text).split())
    if len(text) > SERVER_MESSAGE_CHARS:
        text = text[: SERVER_MESSAGE_CHARS - 1] + "…"
    return text


def error_for_status(
    response: httpx.Response, body: str, *, url: str, key_hint: str, redact: Redactor
) -> errors.EndpointError | None:
    """The error a non-2xx response means, or None for a success."""
    status = response.status_code
    if status < 400:
        return None
    where = display_url(url)
    said = server_message(body, redact)
    detail = f": {said}" if said else ""
    if status in (401, 403):
        return errors.EndpointAuthError(
            f"{where} refused the credentials (HTTP {status}); check {key_hint}", status=status
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers)
        hint = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return errors.EndpointRateLimitError(
            f"{where} is rate limiting requests (HTTP 429){hint}{detail}",
            retry_after_s=retry_after,
        )
    if status >= 500:
        return errors.EndpointServerError(
            f"{where} failed with HTTP {status}{detail}; try again later", status=status
        )
    hint = "check the base URL and the model name" if status == 404 else "check the request"
    return errors.EndpointRequestError(
        f"{where} rejected the request (HTTP {status}){detail}; {hint}", status=status
    )


def error_for_transport(
    exc: httpx.RequestError, *, url: str, timeout_s: float
) -> errors.EndpointError:
    """The error an httpx transport failure means (never quotes headers, so no key)."""
    where = display_url(url)
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return errors.EndpointUnreachableError(
            f"cannot connect to {where} ({type(exc).__name__}); check the base URL and that the "
            "server is running"
        )
    if isinstance(exc, httpx.TimeoutException):
        return errors.EndpointTimeoutError(
            f"{where} did not answer within {timeout_s:g} s; raise the timeout setting or use a "
            "smaller request"
        )
    if isinstance(exc, httpx.TransportError):
        return errors.EndpointUnreachableError(
            f"the connection to {where} failed ({type(exc).__name__})"
        )
    return errors.EndpointReplyError(
        f"{where} sent a reply that could not be read ({type(exc).__name__})"
    )


def reply_json(body: bytes, *, url: str, redact: Redactor) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        start = redact(body[:4096].decode("utf-8", "replace"))[:40]
        raise errors.EndpointReplyError(
            f"{display_url(url)} replied with something that is not JSON "
            f"({len(body)} bytes starting {start!r})"
        ) from None


def completion_text(data: Any, *, url: str) -> str:
    """The assistant text of a non-streamed chat completion."""
    where = display_url(url)
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise errors.EndpointReplyError(f"{where} replied without any choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise errors.EndpointReplyError(f"{where} replied with a choice that has no message")
    content = message.get("content")
    if isinstance(content, list):  # some servers return content parts
        content = (
            "".join(part.get("text", "") for part in content if isinstance(part, dict)) or None
        )
    if isinstance(content, str):
        return content
    finish = choices[0].get("finish_reason")
    hint = "; raise max_tokens" if finish == "length" else ""
    raise errors.EndpointReplyError(
        f"{where} replied without text (finish_reason={finish!r}){hint}"
    )


def model_ids(data: Any, *, url: str) -> list[str]:
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise errors.EndpointReplyError(
            f"{display_url(url)} replied to /models without a data list"
        )
    return [e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)]


class StreamReader:
    """Reads the ``data:`` lines of a chat-completion SSE stream into text deltas."""

    def __init__(self, url: str, redact: Redactor) -> None:
        self._where = display_url(url)
        self._redact = redact
        self.done = False
        self.finished = False

    def feed(self, line: str) -> str:
        """The text delta a line carries ("" for none); sets ``done`` on ``[DONE]``."""
        line = line.rstrip("\r")
        if not line.startswith("data:"):
            return ""  # blank separators, ``: keep-alive`` comments, ``event:``/``id:`` fields
        data = line[5:].strip()
        if data == "[DONE]":
            self.done = True
            return ""
        try:
            chunk = json.loads(data)
        except ValueError:
            raise errors.EndpointReplyError(
                f"{self._where} streamed an event that is not JSON: {self._redact(data)[:60]!r}"
            ) from None
        if not isinstance(chunk, dict):
            raise errors.EndpointReplyError(
                f"{self._where} streamed an event that is not an object"
            )
        if "error" in chunk:
            raise errors.EndpointServerError(
                f"{self._where} reported an error mid-stream: "
                f"{server_message(json.dumps(chunk), self._redact)}",
                status=500,
            )
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise errors.EndpointReplyError(f"{self._where} streamed a chunk without choices")
        text = ""
        for choice in choices:  # a final usage chunk has none
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            if choice.get("finish_reason") is not None:
                self.finished = True
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str):
                text += content
        return text

    def check_complete(self) -> None:
        """Raise if the stream ended without ``[DONE]`` or a finish reason (it was cut off)."""
        if not (self.done or self.finished):
            raise errors.EndpointReplyError(
                f"{self._where} ended the stream before it was complete"
            )
