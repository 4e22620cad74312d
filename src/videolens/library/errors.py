"""What goes wrong with the library index, in words a user can act on."""

from __future__ import annotations

import sqlite3

from videolens.errors import VideoLensError


class LibraryError(VideoLensError):
    """The library index cannot be opened, is out of date, or a database refused a request."""


def index_errors() -> tuple[type[Exception], ...]:
    """What a library index's database raises when it is down or refuses a request."""
    errors: tuple[type[Exception], ...] = (LibraryError, sqlite3.Error)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return errors
    return (*errors, psycopg.Error)
