"""The exception tree shared by every layer.

Each edge translates these: the CLI into a one-line message and an exit code, the workflow into a
non-retryable ``ApplicationError``, the API into an HTTP status.
"""


class VideoLensError(Exception):
    """Base of every error videolens raises on purpose."""


class InvalidVideoError(VideoLensError):
    """The input is not a video we can analyse (corrupt, empty, truncated, no video stream).

    Retrying cannot help: the message says what is wrong with the file in one sentence.
    """


class SessionNotFoundError(VideoLensError):
    """No session with that id exists in the store."""


class ConfigurationError(VideoLensError):
    """A setting is missing or inconsistent; the message names the setting to change."""


class TemporalUnavailableError(VideoLensError):
    """The Temporal server cannot be reached or started."""


class OutOfSpaceError(VideoLensError):
    """The disk holding the data dir (or the embedded Temporal database) is full.

    Retrying cannot help until space is freed; the message names the place that filled up.
    """
