"""The embedded library index: SQLite with FTS5 in the data dir (no server), and optional
vectors (``vectors``: sqlite-vec and MiniLM) whose ranking search fuses with bm25's."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from videolens.library.errors import LibraryError
from videolens.library.index import (
    MOMENT_SELECT,
    VIDEO_SELECT,
    Cursor,
    LibraryIndex,
    _hit,
    _moment_filter,
)
from videolens.library.query_words import query_words
from videolens.library.records import LibraryFilter, LibraryHit, LibraryMoment, LibraryVideo
from videolens.library.scope import scope_terms
from videolens.library.vectors import (
    MIN_SIMILARITY,
    NEAREST,
    MomentVectors,
    fuse,
    loadable_driver,
    open_vectors,
    vectors_unavailable,
)

# Another process (a worker beside the API) may be writing: wait for it this long.
BUSY_TIMEOUT_MS = 10_000
logger = logging.getLogger(__name__)


def _has_fts5(connection: sqlite3.Connection) -> bool:
    rows = connection.execute("PRAGMA compile_options").fetchall()
    return any(str(row[0]).upper() == "ENABLE_FTS5" for row in rows)


class SqliteIndex(LibraryIndex):
    """The library in one SQLite file; ranked with FTS5's bm25 over the whole index."""

    DIALECT = "sqlite"
    # bm25 weights per column (labels, description, text, speech, scope: not scored); bm25 is
    # lower-is-better.
    RANK = "-bm25(library_moments_fts, 4.0, 2.0, 1.0, 1.0, 0.0)"
    ROW_ID = "library_moments_fts.rowid"

    def __init__(self, path: Path, vectors: bool = False) -> None:
        """``vectors``: keep a vector of each moment and fuse its ranking into search, where
        the ``embeddings`` extra allows (else one line says why not)."""
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        driver = _driver(vectors)
        vectors = vectors and driver is not None
        driver = driver or sqlite3
        self._db = driver.connect(path, isolation_level=None, check_same_thread=False)
        if not _has_fts5(self._db):
            self._db.close()
            raise LibraryError(
                f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5: use a Python built "
                "with it, or point VIDEOLENS_DATABASE_URL at PostgreSQL"
            )
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._vectors: MomentVectors | None = open_vectors(self._db, driver) if vectors else None

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(self._db, "?")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # One statement reads a consistent snapshot without taking the write lock.
        with self._lock:
            return Cursor(self._db, "?").execute(sql, params)

    def _run_script(self, cursor: Cursor, sql: str) -> None:
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                cursor.execute(statement)
                statement = ""

    def _matching(
        self, groups: Sequence[Sequence[str]], chosen: LibraryFilter, joined: bool = True
    ) -> tuple[str, str, list[Any]]:
        expression = " AND ".join("(" + " OR ".join(f'"{w}"' for w in g) + ")" for g in groups)
        for group in scope_terms(chosen):
            expression += " AND (" + " OR ".join(f'scope : "{w}"' for w in group) + ")"
        source = ("library_moments_fts JOIN library_moments m ON m.id = library_moments_fts.rowid "
                  "JOIN library_videos v ON v.video_id = m.video_id" if joined
                  else "library_moments_fts")  # fmt: skip
        return source, "library_moments_fts MATCH ?", [expression]

    # -- vectors ----------------------------------------------------------------------------

    @property
    def vectors_on(self) -> bool:
        return self._vectors is not None

    def vectors_size(self) -> int:
        """How many moment vectors the index holds (0 with vectors off)."""
        if self._vectors is None:
            return 0
        with self._lock:
            return self._vectors.size(Cursor(self._db, "?"))

    def search(self, query: str, chosen: LibraryFilter, limit: int = 20) -> list[LibraryHit]:
        """bm25's ranking, fused with the nearest vectors' (``vectors.fuse``) when they are on."""
        if self._vectors is None or limit <= 0 or not query_words(query):
            return super().search(query, chosen, limit)
        return fuse([super().search(query, chosen, NEAREST), self._nearest(query, chosen)], limit)

    def _nearest(self, query: str, chosen: LibraryFilter) -> list[LibraryHit]:
        """The chosen moments nearest ``query``'s vector, nearest first (among ``NEAREST`` of
        the owner's; the other filters apply to those)."""
        assert self._vectors is not None
        vector = self._vectors.encode([query])[0].tobytes()  # outside the lock: the model's time
        owner = [chosen.owner] if chosen.owner is not None else []
        where, filters = _moment_filter(chosen)
        rows = self._read(
            f"SELECT {VIDEO_SELECT}, {MOMENT_SELECT}, 1 - near.distance "
            f"FROM ({self._vectors.nearest_sql(chosen.owner)}) AS near "
            "JOIN library_moments m ON m.id = near.rowid "
            "JOIN library_videos v ON v.video_id = m.video_id "
            f"WHERE near.distance <= ? AND {where} ORDER BY near.distance",
            [vector, *owner, 1 - MIN_SIMILARITY, *filters],
        )
        return [_hit(row) for row in rows]

    def put_moments(self, video_id: str, moments: Sequence[LibraryMoment]) -> None:
        if self._vectors is not None:
            self._vectors.prepare(moments)  # not while the write holds the database
        super().put_moments(video_id, moments)

    def replace_video(self, video: LibraryVideo, moments: Sequence[LibraryMoment]) -> None:
        if self._vectors is not None:
            self._vectors.prepare(moments)
        super().replace_video(video, moments)

    def _moments_written(
        self, cursor: Cursor, video: LibraryVideo, moments: Sequence[LibraryMoment]
    ) -> None:
        if self._vectors is None or not moments:
            return
        sql = "SELECT id FROM library_moments WHERE video_id = ? AND kind = ? AND position = ?"
        ids = [cursor.execute(sql, [video.video_id, m.kind, m.position])[0][0] for m in moments]
        self._vectors.write(cursor, video.owner, list(zip(ids, moments, strict=True)))

    def _moments_removing(self, cursor: Cursor, condition: str, params: Sequence[Any]) -> None:
        if self._vectors is not None:
            rows = cursor.execute(f"SELECT id FROM library_moments WHERE {condition}", params)
            self._vectors.remove(cursor, [row[0] for row in rows])

    def _video_rescoped(self, cursor: Cursor, video: LibraryVideo) -> None:
        if self._vectors is not None:
            rows = cursor.execute("SELECT id FROM library_moments WHERE video_id = ?",
                                  [video.video_id])  # fmt: skip
            self._vectors.move(cursor, video.owner, [row[0] for row in rows])

    def clear(self) -> None:
        super().clear()
        if self._vectors is not None:
            with self.transaction() as cursor:
                self._vectors.clear(cursor)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _driver(vectors: bool) -> ModuleType | None:
    """The sqlite module whose connections can load sqlite-vec (the standard library's, or
    pysqlite3 where Python's cannot), or None: vectors not wanted, or impossible (one line
    says why)."""
    if not vectors:
        return None
    why = vectors_unavailable()
    if why:
        logger.warning("library vectors are off: %s", why)
        return None
    return loadable_driver()[0]
