"""The shared library index: PostgreSQL, full text in a ``tsvector`` column with a GIN index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from videolens.library.errors import LibraryError
from videolens.library.index import MOMENT_SELECT, POOL, VIDEO_SELECT, Cursor, LibraryIndex
from videolens.library.records import LibraryFilter
from videolens.library.scope import scope_terms

CONNECT_TIMEOUT_S = 10


class PostgresIndex(LibraryIndex):
    """The library in PostgreSQL, shared by every API replica and worker; ranked with
    ``ts_rank`` over the whole index. Its schema is made by ``videolens db upgrade``."""

    DIALECT = "postgres"
    # Weights of D (the scope words: not scored), C, B, A.
    RANK = "ts_rank('{0, 0.2, 0.4, 1.0}', m.document, q)"
    ROW_ID = "m.id"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._db = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        # No server-side prepared statements (psycopg prepares a query run 5 times): their
        # generic plan, made without the owner or the words, read a key's own moments through
        # its videos and filtered them one by one (one-key search p50 147 ms, p99 382 ms);
        # planned with its values each time, it intersects the GIN lists (p50 8 ms, p99 13 ms).
        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                   prepare_threshold=None)  # fmt: skip
        except psycopg.OperationalError as err:
            raise LibraryError(
                f"cannot reach the library database (VIDEOLENS_DATABASE_URL): {err}".strip()
            ) from err

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self._lock:
            # The server restarted or the network dropped: the statement that found out failed
            # (and was logged by its caller); the next one connects again.
            if self._db.broken:
                self._db = self._connect()
            with self._db.transaction(), self._db.cursor() as raw:
                yield Cursor(raw, "%s")

    def _run_script(self, cursor: Cursor, sql: str) -> None:
        cursor.execute_script(sql)

    def _matching(
        self, words: list[str], every_word: bool, chosen: LibraryFilter
    ) -> tuple[str, str, list[Any]]:
        joined = (" & " if every_word else " | ").join(words)  # words are [a-z0-9]+ only
        scope = " & ".join("(" + " | ".join(group) + ")" for group in scope_terms(chosen))
        query = "to_tsquery('english', ?)"
        params: list[Any] = [joined]
        if scope:
            query += " && to_tsquery('simple', ?)"
            params.append(scope)
        source = ("library_moments m JOIN library_videos v ON v.video_id = m.video_id, "
                  f"(SELECT {query} AS q) AS asked")  # fmt: skip
        return source, "m.document @@ q", params

    def _best(
        self, source: str, condition: str, params: list[Any], limit: int
    ) -> list[tuple[Any, ...]]:
        """The ``limit`` best among the first ``POOL`` matches the database reads: a GIN
        index yields matches in no useful order, and ordering them all (to take the newest, as
        SQLite does) costs as much as ranking them all."""
        return self._read(
            f"SELECT * FROM (SELECT {VIDEO_SELECT}, {MOMENT_SELECT}, {self.RANK} AS rank "
            f"FROM {source} WHERE {condition} LIMIT ?) AS found "
            "ORDER BY rank DESC, created_at DESC, at_s LIMIT ?",
            [*params, POOL, limit],
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
