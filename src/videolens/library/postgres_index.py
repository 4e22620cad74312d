"""The shared library index: PostgreSQL, full text in a ``tsvector`` column with a GIN index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from videolens.library.errors import LibraryError
from videolens.library.index import (
    MOMENT_SELECT,
    POOL,
    RANKED_ALL,
    VIDEO_SELECT,
    Cursor,
    LibraryIndex,
    _moment_filter,
)
from videolens.library.rarity import WEIGHTS, WordWeights
from videolens.library.records import LibraryFilter
from videolens.library.scope import scope_terms

CONNECT_TIMEOUT_S = 10


class PostgresIndex(LibraryIndex):
    """The library in PostgreSQL, shared by every API replica and worker; ranked with
    ``ts_rank`` over the whole index. Its schema is made by ``videolens db upgrade``."""

    DIALECT = "postgres"
    ROW_ID = "m.id"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._weights = WordWeights()
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
        self, groups: Sequence[Sequence[str]], chosen: LibraryFilter, joined: bool = True
    ) -> tuple[str, str, list[Any]]:
        # words are [a-z0-9]+ only
        asked = " & ".join("(" + " | ".join(group) + ")" for group in groups)
        scope = " & ".join("(" + " | ".join(group) + ")" for group in scope_terms(chosen))
        query = "to_tsquery('english', ?)"
        params: list[Any] = [asked]
        if scope:
            query += " && to_tsquery('simple', ?)"
            params.append(scope)
        condition = f"m.document @@ ({query})"
        if not joined:
            return "library_moments m", condition, params
        # The GIN index finds the moments, then each is joined to its video: left to itself, the
        # planner may read a key's moments video by video, each time intersecting the
        # whole index's lists for the words (one-key search p99 380 ms once vacuumed).
        source = (f"(SELECT * FROM library_moments m WHERE {condition} OFFSET 0) AS m "
                  "JOIN library_videos v ON v.video_id = m.video_id")  # fmt: skip
        return source, "TRUE", params

    RANKS_MATCHED_WORDS_ONLY = False  # ``_rank`` scores every word searched

    def _searched(self, words: list[str]) -> list[str]:
        # Not the stop words of the text search's English: no moment has them ("no" in "no
        # parking" would look rarest, and narrow the search to nothing).
        with self.transaction() as cursor:
            return list(self._weights.of(cursor, words))

    def _rank(self, words: list[str]) -> tuple[str, list[Any]]:
        """Each word's ``ts_rank`` weighed by its rarity in the whole index (``rarity``), as
        SQLite's bm25 weighs it: a rare word the user asked for outweighs a common one."""
        with self.transaction() as cursor:
            weights = self._weights.of(cursor, words)
        if not weights:
            return "0", []
        # Each word's query is made once (an uncorrelated subquery), not for every moment.
        term = f"? * ts_rank('{WEIGHTS}', m.document, (SELECT to_tsquery('english', ?)))"
        terms = [term] * len(weights)
        return " + ".join(terms), [p for word, idf in weights.items() for p in (idf, word)]

    def _count(self, word: str, chosen: LibraryFilter) -> int:
        # Over the whole index, the statistics ``_rank`` just read say how many moments have
        # the word: counting them one by one (on the heap) costs more than ranking a few.
        whole = self._weights.moments_with(word)
        if whole is not None and not scope_terms(chosen):
            return min(round(whole), RANKED_ALL + 1)
        return super()._count(word, chosen)

    def _newest_ranked(
        self, words: list[str], chosen: LibraryFilter, rank: tuple[str, list[Any]], limit: int
    ) -> list[tuple[Any, ...]]:
        """The ``limit`` best among the first ``POOL`` matches the database reads: a GIN
        index yields matches in no useful order, and ordering them all (to take the newest, as
        SQLite does) costs as much as ranking them all."""
        source, condition, params = self._matching([words], chosen)
        where, filters = _moment_filter(chosen)
        return self._read(
            f"SELECT * FROM (SELECT {VIDEO_SELECT}, {MOMENT_SELECT}, {rank[0]} AS rank "
            f"FROM {source} WHERE {condition} AND {where} LIMIT ?) AS found "
            "ORDER BY rank DESC, created_at DESC, at_s LIMIT ?",
            [*rank[1], *params, *filters, POOL, limit],
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
