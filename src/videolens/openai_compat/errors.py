"""What can go wrong talking to an OpenAI-compatible endpoint, one class per thing to do about it.

::

    EndpointError                    base of all of them
    ├── EndpointAuthError            401/403: the key is missing or wrong
    ├── EndpointRateLimitError       429: slow down (``retry_after_s``)
    ├── EndpointServerError          5xx: the server failed (``status``)
    ├── EndpointRequestError         other 4xx: the request is wrong for this server (``status``)
    ├── EndpointTimeoutError         no answer within the timeout
    ├── EndpointUnreachableError     connection refused, DNS failure, connection dropped
    └── EndpointReplyError           a reply off the protocol (bad JSON, no choices, bad SSE)

Messages never contain the API key: the client redacts it from anything the server echoes.
"""

from __future__ import annotations

from videolens.errors import VideoLensError


class EndpointError(VideoLensError):
    """An OpenAI-compatible endpoint could not answer; the message says what to do."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EndpointAuthError(EndpointError):
    """The endpoint rejected the request's credentials (HTTP 401 or 403); retrying cannot help."""


class EndpointRateLimitError(EndpointError):
    """HTTP 429. ``retry_after_s`` is the server's Retry-After hint in seconds, if it sent one."""

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, status: int = 429
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after_s = retry_after_s


class EndpointServerError(EndpointError):
    """The server failed (HTTP 5xx); worth retrying later."""

    status: int

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, status=status)


class EndpointRequestError(EndpointError):
    """The server refused the request itself (HTTP 4xx other than 401/403/429): an unknown model,
    too many images per request, a context too long. Retrying the same request cannot help."""

    status: int

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, status=status)


class EndpointTimeoutError(EndpointError):
    """The endpoint did not answer within the configured timeout."""


class EndpointUnreachableError(EndpointError):
    """The endpoint could not be reached: connection refused, DNS failure, connection dropped."""


class EndpointReplyError(EndpointError):
    """The endpoint answered, but not in the protocol: malformed JSON, no choices, broken SSE."""
