"""Which library index a deployment uses: PostgreSQL when ``VIDEOLENS_DATABASE_URL`` is set,
else SQLite in the data dir."""

from __future__ import annotations

from pathlib import Path

from videolens.config import Settings
from videolens.library.errors import LibraryError
from videolens.library.index import LibraryIndex
from videolens.library.sqlite_index import SqliteIndex

LIBRARY_FILE = "library.sqlite"


def library_file(settings: Settings) -> Path:
    return settings.data_dir / LIBRARY_FILE


def connect_index(settings: Settings) -> LibraryIndex:
    """The configured index as it is, its schema not checked (``videolens db upgrade``)."""
    if settings.database_url is not None:
        from videolens.library.postgres_index import PostgresIndex  # the driver only when used

        return PostgresIndex(settings.database_url.get_secret_value())
    return SqliteIndex(library_file(settings))


def open_index(settings: Settings) -> LibraryIndex:
    """The configured index, ready to use.

    The embedded file is brought up to date by itself; a shared PostgreSQL database is
    upgraded by the operator once (``videolens db upgrade``), so replicas never race to migrate.
    """
    index = connect_index(settings)
    if settings.database_url is None:
        index.upgrade()
    elif not index.is_current():
        index.close()
        raise LibraryError(
            "the library database's schema is out of date: run `videolens db upgrade`"
        )
    return index
