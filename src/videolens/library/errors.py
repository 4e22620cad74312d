"""What goes wrong with the library index, in words a user can act on."""

from __future__ import annotations

from videolens.errors import VideoLensError


class LibraryError(VideoLensError):
    """The library index cannot be opened, is out of date, or a database refused a request."""
