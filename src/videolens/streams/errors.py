"""Errors of live sources and streams; each message says what is wrong and what to do.

They are ``VideoLensError``s, so every edge translates them: the CLI into one line and an exit
code, the API into a JSON error, the workflow into a non-retryable ``ApplicationError``.
"""

from __future__ import annotations

from videolens.errors import VideoLensError


class StreamError(VideoLensError):
    """Base of the errors about live streams."""


class StreamNotFoundError(StreamError):
    """No stream with that id exists in the store (or it belongs to another key)."""


class SourceError(StreamError):
    """A live source cannot be used; ``kind`` names the case for clients and tests."""

    kind = "source_error"


class UnknownSchemeError(SourceError):
    """The URL's scheme is none that videolens reads live (or not supported by this build)."""

    kind = "unknown_scheme"


class SourceUnreachableError(SourceError):
    """The source never answered (nothing listens, no data arrived, or HTTP 404) in time."""

    kind = "unreachable"


class CredentialsRefusedError(SourceError):
    """The source refused the credentials (HTTP/RTSP 401 or 403)."""

    kind = "credentials_refused"


class SourceDroppedError(SourceError):
    """A source that was streaming stopped (EOF, read timeout, connection reset).

    Not an error for the user: the reader reconnects with backoff and reports the gap.
    """

    kind = "dropped"


class InvalidRuleError(StreamError):
    """An event rule does not parse; the message lists the accepted forms."""
