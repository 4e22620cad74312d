"""The embedded library index: SQLite with FTS5 in the data dir (no server)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from videolens.library.errors import LibraryError
from videolens.library.index import Cursor, LibraryIndex
from videolens.library.records import LibraryFilter
from videolens.library.scope import scope_terms

# Another process (a worker beside the API) may be writing: wait for it this long.
BUSY_TIMEOUT_MS = 10_000


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

    def __init__(self, path: Path) -> None:
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        if not _has_fts5(self._db):
            self._db.close()
            raise LibraryError(
                f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5: use a Python built "
                "with it, or point VIDEOLENS_DATABASE_URL at PostgreSQL"
            )
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")

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
        self, words: list[str], every_word: bool, chosen: LibraryFilter
    ) -> tuple[str, str, list[Any]]:
        joined = (" AND " if every_word else " OR ").join(f'"{w}"' for w in words)
        expression = f"({joined})"
        for group in scope_terms(chosen):
            expression += " AND (" + " OR ".join(f'scope : "{w}"' for w in group) + ")"
        source = ("library_moments_fts JOIN library_moments m ON m.id = library_moments_fts.rowid "
                  "JOIN library_videos v ON v.video_id = m.video_id")  # fmt: skip
        return source, "library_moments_fts MATCH ?", [expression]

    def close(self) -> None:
        with self._lock:
            self._db.close()
