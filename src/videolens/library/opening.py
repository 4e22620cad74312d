"""Which library index a deployment uses: PostgreSQL when ``VIDEOLENS_DATABASE_URL`` is set,
else SQLite in the data dir."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from videolens.config import Settings
from videolens.library.errors import LibraryError, index_errors
from videolens.library.index import LibraryIndex
from videolens.library.reindex import backfill
from videolens.library.sqlite_index import SqliteIndex
from videolens.store import SessionStore
from videolens.streams.store import StreamStore

LIBRARY_FILE = "library.sqlite"
LISTINGS_VERSION = 2  # the migration from which the index keeps each video's listing entry
RETRY_S = 5.0  # an index that could not be opened is tried again at most this often
logger = logging.getLogger(__name__)


def library_file(settings: Settings) -> Path:
    return settings.data_dir / LIBRARY_FILE


def connect_index(settings: Settings) -> LibraryIndex:
    """The configured index as it is, its schema not checked (``videolens db upgrade``)."""
    if settings.database_url is not None:
        from videolens.library.postgres_index import PostgresIndex  # the driver only when used

        return PostgresIndex(settings.database_url.get_secret_value())
    return SqliteIndex(library_file(settings), vectors=settings.library_vectors)


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


class IndexConnection:
    """The configured index of a long-running process (the API, a worker), opened when first
    needed rather than at start: the process starts and works while the database is down (the
    stores are the source of truth), and uses the index as soon as it answers again. While it
    cannot be opened, it is tried again at most every ``retry_s``, so a down database is not
    asked on every request; meanwhile ``get`` raises the last failure again.

    ``opened``: an index opened already (a test's), used as it is.
    """

    def __init__(
        self, settings: Settings, opened: LibraryIndex | None = None, retry_s: float = RETRY_S
    ) -> None:
        self._settings = settings
        self._index = opened
        self._retry_s = retry_s
        self._failure: tuple[float, str] | None = None  # (when, why) the last try failed
        self._lock = threading.Lock()

    def get(self) -> LibraryIndex:
        """The index; ``LibraryError`` while it cannot be opened."""
        with self._lock:
            if self._index is not None:
                return self._index
            now = time.monotonic()
            if self._failure is not None and now - self._failure[0] < self._retry_s:
                raise LibraryError(self._failure[1])
            try:
                self._index = open_index(self._settings)
            except index_errors() as err:
                self._failure = (now, f"the library index is unavailable: {err}")
                logger.warning("%s; listings come from the folders and the index misses writes "
                               "until it answers (tried again in %.0f s at the earliest)",
                               self._failure[1], self._retry_s)  # fmt: skip
                raise LibraryError(self._failure[1]) from err
            if self._failure is not None:
                self._failure = None
                self._take_in_what_was_missed(self._index)
            return self._index

    def _take_in_what_was_missed(self, index: LibraryIndex) -> None:
        """After an outage: the sessions and streams made meanwhile, which the index missed."""
        try:
            added = backfill(index, SessionStore(self._settings.sessions_dir),
                             StreamStore(self._settings.streams_dir))  # fmt: skip
        except index_errors() as err:
            logger.warning("the library index answers again but could not take in what it "
                           "missed (%s): `videolens reindex` repairs it", err)  # fmt: skip
            return
        logger.warning("the library index answers again; it took in %d sessions and %d streams "
                       "made while it was down", added.sessions, added.streams)  # fmt: skip

    def available(self) -> LibraryIndex | None:
        """The index, or None while it cannot be opened."""
        try:
            return self.get()
        except LibraryError:
            return None

    def answers(self) -> bool:
        """Whether the index is open and answers a read now (``/readyz``)."""
        index = self.available()
        if index is None:
            return False
        try:
            index.video("")  # one row by its key: the cheapest read the index has
        except index_errors():
            return False
        return True

    def close(self) -> None:
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None
