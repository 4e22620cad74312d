"""Which library index a deployment uses: PostgreSQL when ``VIDEOLENS_DATABASE_URL`` is set,
else SQLite in the data dir."""

from __future__ import annotations

import logging
from pathlib import Path

from videolens.config import Settings
from videolens.library.errors import LibraryError
from videolens.library.index import LibraryIndex
from videolens.library.reindex import backfill
from videolens.library.sqlite_index import SqliteIndex
from videolens.store import SessionStore
from videolens.streams.store import StreamStore

LIBRARY_FILE = "library.sqlite"
LISTINGS_VERSION = 2  # the migration from which the index keeps each video's listing entry
logger = logging.getLogger(__name__)


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
        upgrade_index(index, settings)
    elif not index.is_current():
        index.close()
        raise LibraryError(
            "the library database's schema is out of date: run `videolens db upgrade`"
        )
    return index


def upgrade_index(index: LibraryIndex, settings: Settings) -> int:
    """Apply ``index``'s new migrations; returns its schema version.

    Listings are read from the index, so the upgrade that makes it keep them (a new index, or
    one from before listings) also indexes what the stores hold and it lacks: sessions made
    before the index existed are listed from the first start on, without a `videolens reindex`.
    """
    before = index.schema_version()
    version = index.upgrade()
    if before < LISTINGS_VERSION <= version:
        added = backfill(index, SessionStore(settings.sessions_dir),
                         StreamStore(settings.streams_dir))  # fmt: skip
        if added.sessions or added.streams:
            logger.info("the library index took in %d sessions and %d streams it lacked",
                        added.sessions, added.streams)  # fmt: skip
    return version
