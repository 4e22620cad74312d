"""The library index: every moment of every session and stream, in one SQL database.

``LibraryIndex`` holds what both databases share (rows, filters, listings, the writes); the
embedded ``SqliteIndex`` (FTS5, bm25) and ``PostgresIndex`` (tsvector, GIN, ts_rank) say how
text is matched and ranked and how a transaction is opened. Every statement is written with
``?`` placeholders; PostgreSQL's driver gets them as ``%s``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from importlib import resources
from typing import Any

from videolens.library.errors import LibraryError
from videolens.library.query_words import query_words, words_of
from videolens.library.records import (
    LibraryFilter,
    LibraryHit,
    LibraryMoment,
    LibraryVideo,
    Listed,
    Page,
    VideoMatches,
)
from videolens.library.scope import scope_of

VIDEO_COLUMNS = ("video_id", "kind", "title", "owner", "status", "created_at", "source",
                 "duration_s")  # fmt: skip
MOMENT_COLUMNS = ("video_id", "kind", "position", "at_s", "happened_at", "description",
                  "labels", "text", "speech", "end_s", "image")  # fmt: skip
_WRITTEN = (*MOMENT_COLUMNS, "scope")
_VIDEO_WRITTEN = (*VIDEO_COLUMNS, "listing")
_V = VIDEO_SELECT = ", ".join(f"v.{c}" for c in VIDEO_COLUMNS)
_M = MOMENT_SELECT = ", ".join(f"m.{c}" for c in MOMENT_COLUMNS)
# A search scores every match when there are at most this many; else the moments with its
# rarest words (at most ``RARE``) and the newest ``POOL`` matches (see ``LibraryIndex.search``).
RANKED_ALL = 3000
POOL = 2000
RARE = 1000
# "until" takes in the whole of a day or instant it names: "~" sorts after every ISO character.
_UNTIL_END = "~"


class Cursor:
    """What a transaction hands out: ``execute`` and ``executemany`` with ``?`` placeholders."""

    def __init__(self, raw: Any, placeholder: str) -> None:
        self._raw = raw
        self._placeholder = placeholder

    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._raw.execute(self._sql(sql), tuple(params))
        return list(cursor.fetchall()) if cursor.description else []

    def execute_script(self, sql: str) -> None:
        """Several statements, no parameters (a migration)."""
        self._raw.execute(sql)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._raw.executemany(self._sql(sql), [tuple(r) for r in rows])


class LibraryIndex(ABC):
    """Videos and their moments, searchable as one library; safe to share between threads."""

    DIALECT: str  # the migrations folder

    def __init__(self) -> None:
        self._lock = threading.RLock()

    # -- what each database says ------------------------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Cursor]:
        """A cursor inside one transaction, committed when the block ends without an error."""

    @abstractmethod
    def _matching(
        self, groups: Sequence[Sequence[str]], chosen: LibraryFilter, joined: bool = True
    ) -> tuple[str, str, list[Any]]:
        """(FROM clause naming ``m`` and ``v``, WHERE condition, parameters) for the moments
        that match one word of every group of ``groups`` within ``chosen``'s scope
        (``scope.scope_terms``); not ``joined``: the FROM clause names only what the
        condition needs (to count matches)."""

    RANK: str  # the score of a matching moment, higher is better, in the terms of ``_matching``
    ROW_ID: str  # a matching moment's row id (newer moments have higher ones)

    # Whether ``RANK`` scores only the words of the ``_matching`` condition (bm25 scores the
    # phrases of its MATCH expression) rather than every word searched.
    RANKS_MATCHED_WORDS_ONLY = True

    def _rank(self, words: list[str]) -> tuple[str, list[Any]]:
        """(SQL, parameters) of a matching moment's score for a search of ``words``."""
        return self.RANK, []

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    # What a database keeps beside the moments (SQLite's optional vectors) follows them here.
    def _moments_written(  # noqa: B027 - a hook that does nothing by default
        self, cursor: Cursor, video: LibraryVideo, moments: Sequence[LibraryMoment]
    ) -> None:
        """After ``moments`` of ``video`` were inserted or replaced."""

    def _moments_removing(  # noqa: B027
        self, cursor: Cursor, condition: str, params: Sequence[Any]
    ) -> None:
        """Before the moments ``WHERE condition`` (on ``library_moments``) are deleted."""

    def _video_rescoped(self, cursor: Cursor, video: LibraryVideo) -> None:  # noqa: B027
        """After ``video``'s owner or kind changed (its moments' scope was updated)."""

    # -- schema -----------------------------------------------------------------------------

    def upgrade(self) -> int:
        """Apply the migrations not applied yet, in order; returns the schema version."""
        with self.transaction() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS library_schema (version INTEGER NOT NULL)")
        current = self.schema_version()
        for version, sql in self.migrations():
            if version > current:
                with self.transaction() as cursor:
                    self._run_script(cursor, sql)
                    cursor.execute("DELETE FROM library_schema")
                    cursor.execute("INSERT INTO library_schema (version) VALUES (?)", [version])
                current = version
        return current

    def _run_script(self, cursor: Cursor, sql: str) -> None:
        cursor.execute(sql)

    @classmethod
    def migrations(cls) -> list[tuple[int, str]]:
        """The versioned SQL files of this database, ``NNN_name.sql``, by version."""
        folder = resources.files("videolens.library").joinpath("migrations").joinpath(cls.DIALECT)
        found = [
            (int(item.name.split("_", 1)[0]), item.read_text(encoding="utf-8"))
            for item in folder.iterdir()
            if item.name.endswith(".sql")
        ]
        return sorted(found)

    def schema_version(self) -> int:
        with self.transaction() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS library_schema (version INTEGER NOT NULL)")
            rows = cursor.execute("SELECT version FROM library_schema")
        return int(rows[0][0]) if rows else 0

    def is_current(self) -> bool:
        return self.schema_version() == self.migrations()[-1][0]

    # -- writes -----------------------------------------------------------------------------

    def put_video(self, video: LibraryVideo, cursor: Cursor | None = None) -> None:
        """Add or update a video's entry (its moments stay, their scope updated)."""
        if cursor is None:
            with self.transaction() as own:
                self.put_video(video, own)
            return
        before = cursor.execute(
            "SELECT owner, kind FROM library_videos WHERE video_id = ?", [video.video_id]
        )
        names = ", ".join(_VIDEO_WRITTEN)
        marks = ", ".join("?" for _ in _VIDEO_WRITTEN)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _VIDEO_WRITTEN[1:])
        sql = (f"INSERT INTO library_videos ({names}) VALUES ({marks}) "
               f"ON CONFLICT (video_id) DO UPDATE SET {updates}")  # fmt: skip
        cursor.execute(sql, [getattr(video, c) for c in _VIDEO_WRITTEN])
        if before and tuple(before[0]) != (video.owner, video.kind):
            cursor.execute("UPDATE library_moments SET scope = ? WHERE video_id = ?",
                           [scope_of(video), video.video_id])  # fmt: skip
            self._video_rescoped(cursor, video)

    def put_moments(self, video_id: str, moments: Sequence[LibraryMoment]) -> None:
        """Add or replace moments of an indexed video (the same kind and position: replaced)."""
        with self.transaction() as cursor:
            found = cursor.execute(
                f"SELECT {_V} FROM library_videos v WHERE v.video_id = ?", [video_id]
            )
            if not found:
                raise LibraryError(f"video {video_id} is not in the library index")
            self._insert_moments(cursor, _video(found[0]), moments)
            self._merge_labels(cursor, video_id, moments)

    def replace_video(self, video: LibraryVideo, moments: Sequence[LibraryMoment]) -> None:
        """The video's entry and exactly ``moments``, in one transaction."""
        with self.transaction() as cursor:
            self.put_video(video, cursor)
            self._moments_removing(cursor, "video_id = ?", [video.video_id])
            cursor.execute("DELETE FROM library_moments WHERE video_id = ?", [video.video_id])
            cursor.execute("UPDATE library_videos SET labels = '' WHERE video_id = ?",
                           [video.video_id])  # fmt: skip
            self._insert_moments(cursor, video, moments)
            self._merge_labels(cursor, video.video_id, moments)

    def remove_video(self, video_id: str) -> None:
        """Forget a video and its moments (nothing happens for one not indexed)."""
        with self.transaction() as cursor:
            self._moments_removing(cursor, "video_id = ?", [video_id])
            cursor.execute("DELETE FROM library_moments WHERE video_id = ?", [video_id])
            cursor.execute("DELETE FROM library_videos WHERE video_id = ?", [video_id])

    def remove_frames_before(self, video_id: str, at_s: float) -> None:
        """Forget a video's frames before ``at_s`` (a stream's retention removed them)."""
        with self.transaction() as cursor:
            gone = "video_id = ? AND kind = 'frame' AND at_s < ?"
            self._moments_removing(cursor, gone, [video_id, at_s])
            cursor.execute(f"DELETE FROM library_moments WHERE {gone}", [video_id, at_s])
            kept = cursor.execute(
                "SELECT DISTINCT labels FROM library_moments WHERE video_id = ?", [video_id]
            )
            words = sorted({w for (labels,) in kept for w in words_of(str(labels))})
            cursor.execute("UPDATE library_videos SET labels = ? WHERE video_id = ?",
                           [" ".join(words), video_id])  # fmt: skip

    def refresh_statistics(self) -> None:
        """Let the query planner see the tables as they are now: after a bulk load (a rebuild),
        where a database that analyses them by itself (PostgreSQL's autovacuum) may not have."""
        with self.transaction() as cursor:
            for table in ("library_videos", "library_moments"):
                cursor.execute(f"ANALYZE {table}")

    def clear(self) -> None:
        """Forget everything (``videolens reindex`` starts here)."""
        with self.transaction() as cursor:
            cursor.execute("DELETE FROM library_moments")
            cursor.execute("DELETE FROM library_videos")

    def _insert_moments(
        self, cursor: Cursor, video: LibraryVideo, moments: Sequence[LibraryMoment]
    ) -> None:
        names = ", ".join(_WRITTEN)
        marks = ", ".join("?" for _ in _WRITTEN)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _WRITTEN[3:])
        scope = scope_of(video)
        cursor.executemany(
            f"INSERT INTO library_moments ({names}) VALUES ({marks}) "
            f"ON CONFLICT (video_id, kind, position) DO UPDATE SET {updates}",
            [[*(getattr(m, c) for c in MOMENT_COLUMNS), scope] for m in moments],
        )
        self._moments_written(cursor, video, moments)

    def _merge_labels(
        self, cursor: Cursor, video_id: str, moments: Sequence[LibraryMoment]
    ) -> None:
        """Keep the video's label words (the listing's label filter) the union of its moments'."""
        rows = cursor.execute("SELECT labels FROM library_videos WHERE video_id = ?", [video_id])
        if not rows:
            return
        words = dict.fromkeys(str(rows[0][0]).split())
        words.update(dict.fromkeys(w for m in moments for w in words_of(m.labels)))
        cursor.execute("UPDATE library_videos SET labels = ? WHERE video_id = ?",
                       [" ".join(sorted(words)), video_id])  # fmt: skip

    # -- reads ------------------------------------------------------------------------------

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction() as cursor:
            return cursor.execute(sql, params)

    def video(self, video_id: str) -> LibraryVideo | None:
        rows = self._read(f"SELECT {_V} FROM library_videos v WHERE v.video_id = ?", [video_id])
        return _video(rows[0]) if rows else None

    def videos(self, chosen: LibraryFilter, *, limit: int = 50, offset: int = 0) -> Page:
        """One page of the chosen videos, newest first, and how many there are."""
        where, params = _video_filter(chosen)
        total = self._read(f"SELECT COUNT(*) FROM library_videos v WHERE {where}", params)
        rows = self._read(
            f"SELECT {_V} FROM library_videos v WHERE {where} "
            "ORDER BY v.created_at DESC, v.video_id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return Page([_video(r) for r in rows], int(total[0][0]))

    def listings(
        self, chosen: LibraryFilter, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Listed], int]:
        """One page (``limit`` None: all) of the chosen videos' listing entries, newest first,
        and how many there are; a running video's frames are counted in the index."""
        where, params = _video_filter(chosen)
        total = self._read(f"SELECT COUNT(*) FROM library_videos v WHERE {where}", params)
        so_far = ("SELECT COUNT(*) FROM library_moments m WHERE m.video_id = v.video_id "
                  "AND m.kind = 'frame'")  # fmt: skip
        # SQLite has no OFFSET without a LIMIT: all of them are skipped here instead.
        paged, skipped = (" LIMIT ? OFFSET ?", 0) if limit is not None else ("", offset)
        rows = self._read(
            f"SELECT v.video_id, v.listing, CASE WHEN v.status = 'running' THEN ({so_far}) END "
            f"FROM library_videos v WHERE {where} ORDER BY v.created_at DESC, v.video_id{paged}",
            [*params, limit, offset] if limit is not None else params,
        )
        return [Listed(*row) for row in rows[skipped:]], int(total[0][0])

    def listed_ids(self) -> set[str]:
        """The videos whose listing entry the index holds."""
        return {str(r[0]) for r in self._read("SELECT video_id FROM library_videos "
                                              "WHERE listing <> ''")}  # fmt: skip

    def search(self, query: str, chosen: LibraryFilter, limit: int = 20) -> list[LibraryHit]:
        """The best moments for ``query`` over the chosen library, best first: one scoring for
        every video (the database's, with whole-index statistics), not per video.

        Scoring costs the same for every moment it scores, so a search scores a few thousand:
        every match when there are at most ``RANKED_ALL``; else every moment with the query's
        rarest words (those that weigh most; as many as ``RARE`` moments have), and the newest
        ``POOL`` matches (a moment with only common words may be older still).
        """
        words = self._searched(query_words(query))
        if not words or limit <= 0:
            return []
        rank = self._rank(words)
        counted = [(self._count(word, chosen), word) for word in words]
        if sum(count for count, _ in counted) <= RANKED_ALL:
            return [_hit(r) for r in self._ranked([words], chosen, rank, limit)]
        rows = self._newest_ranked(words, chosen, rank, limit)
        rare = _rarest(counted, RARE)
        if rare:
            others = [w for w in words if w not in rare]
            rows += self._ranked([rare], chosen, rank, limit)
            if others and self.RANKS_MATCHED_WORDS_ONLY:  # scored again for every word it has
                rows += self._ranked([rare, others], chosen, rank, limit)
        return [_hit(r) for r in _best_of(rows, limit)]

    def _searched(self, words: list[str]) -> list[str]:
        """The words of a query that the full-text index can find (all of them, here)."""
        return words

    def _count(self, word: str, chosen: LibraryFilter) -> int:
        """How many moments in ``chosen``'s scope have ``word``, counted up to
        ``RANKED_ALL + 1`` (in the full-text index alone: the other filters may leave fewer)."""
        source, condition, params = self._matching([[word]], chosen, joined=False)
        rows = self._read(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {source} WHERE {condition} LIMIT ?) AS found",
            [*params, RANKED_ALL + 1],
        )
        return int(rows[0][0])

    def _ranked(
        self,
        groups: list[list[str]],
        chosen: LibraryFilter,
        rank: tuple[str, list[Any]],
        limit: int,
        newest_from: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """The ``limit`` best chosen moments matching ``groups`` (with a row id from
        ``newest_from`` on, if given): (video, moment, rank) rows."""
        source, condition, params = self._matching(groups, chosen)
        where, filters = _moment_filter(chosen)
        newer = [] if newest_from is None else [newest_from]
        return self._read(
            f"SELECT {_V}, {_M}, {rank[0]} AS rank FROM {source} WHERE {condition} AND {where}"
            f"{'' if newest_from is None else f' AND {self.ROW_ID} >= ?'} "
            "ORDER BY rank DESC, v.created_at DESC, m.at_s LIMIT ?",
            [*rank[1], *params, *filters, *newer, limit],
        )

    def _newest_ranked(
        self, words: list[str], chosen: LibraryFilter, rank: tuple[str, list[Any]], limit: int
    ) -> list[tuple[Any, ...]]:
        """The ``limit`` best among the newest ``POOL`` chosen moments that match any word."""
        # Filters that the scope words do not answer need the moments' and videos' rows.
        joined = bool(chosen.titles or chosen.since or chosen.until or chosen.status
                      or chosen.label)  # fmt: skip
        source, condition, params = self._matching([words], chosen, joined)
        where, filters = _moment_filter(chosen) if joined else ("1 = 1", [])
        pool = self._read(
            f"SELECT MIN(id) FROM (SELECT {self.ROW_ID} AS id FROM {source} "
            f"WHERE {condition} AND {where} ORDER BY {self.ROW_ID} DESC LIMIT ?) AS pool",
            [*params, *filters, POOL],
        )
        if not pool or pool[0][0] is None:
            return []
        return self._ranked([words], chosen, rank, limit, newest_from=int(pool[0][0]))

    def present_words(self, query: str, chosen: LibraryFilter) -> list[str]:
        """The words of ``query`` that some chosen moment has ("came" in "when did a van come"
        is how it is asked, not what is looked for, unless a moment says it)."""
        where, filters = _moment_filter(chosen)
        present = []
        for word in query_words(query):
            source, condition, params = self._matching([[word]], chosen)
            rows = self._read(f"SELECT 1 FROM {source} WHERE {condition} AND {where} LIMIT 1",
                              [*params, *filters])  # fmt: skip
            if rows:
                present.append(word)
        return present

    def matches(self, query: str, chosen: LibraryFilter) -> list[VideoMatches]:
        """Per video, the moments that match every word of ``query``: how many, the first and
        the last; videos with most matches first."""
        words = query_words(query)
        if not words:
            return []
        source, condition, params = self._matching([[w] for w in words], chosen)
        where, filters = _moment_filter(chosen)
        counted = self._read(
            f"SELECT m.video_id, COUNT(*), MIN(m.at_s), MAX(m.at_s) FROM {source} "
            f"WHERE {condition} AND {where} GROUP BY m.video_id",
            [*params, *filters],
        )
        found = []
        for video_id, count, first_at, last_at in counted:
            video = self.video(video_id)
            first, last = self.moment_at(video_id, first_at), self.moment_at(video_id, last_at)
            if video is not None and first is not None and last is not None:
                found.append(VideoMatches(video, int(count), first, last))
        return sorted(found, key=lambda f: (-f.count, f.video.created_at, f.video.video_id))

    def frames_seen(self, chosen: LibraryFilter) -> list[tuple[str, str, int, float]]:
        """The chosen frames (``chosen``'s dates bound the moments), grouped by video and by
        what they show: (video id, labels, how many frames, the first one's ``at_s``)."""
        where, filters = _moment_filter(chosen)
        rows = self._read(
            "SELECT m.video_id, m.labels, COUNT(*), MIN(m.at_s) FROM library_moments m "
            "JOIN library_videos v ON v.video_id = m.video_id "
            f"WHERE m.kind = 'frame' AND {where} GROUP BY m.video_id, m.labels",
            filters,
        )
        return [(str(v), str(labels), int(n), float(first)) for v, labels, n, first in rows]

    def moment_at(self, video_id: str, at_s: float, within_s: float = 0.0) -> LibraryMoment | None:
        """The moment of ``video_id`` nearest ``at_s``, if one lies within ``within_s``."""
        rows = self._read(
            f"SELECT {_M} FROM library_moments m WHERE m.video_id = ? "
            "AND m.at_s BETWEEN ? AND ? ORDER BY ABS(m.at_s - ?), m.kind LIMIT 1",
            [video_id, at_s - within_s - 1e-6, at_s + within_s + 1e-6, at_s],
        )
        return _moment(rows[0]) if rows else None

    def moment_between(self, video_id: str, start_s: float, end_s: float) -> LibraryMoment | None:
        """The first moment of ``video_id`` with ``start_s <= at_s < end_s``, if any."""
        rows = self._read(
            f"SELECT {_M} FROM library_moments m WHERE m.video_id = ? "
            "AND m.at_s >= ? AND m.at_s < ? ORDER BY m.at_s, m.kind LIMIT 1",
            [video_id, start_s, end_s],
        )
        return _moment(rows[0]) if rows else None

    def dump(self) -> list[tuple[Any, ...]]:
        """Every video and moment row, sorted: what a rebuild must reproduce."""
        videos = self._read(f"SELECT {_V}, v.labels FROM library_videos v ORDER BY v.video_id")
        moments = self._read(
            f"SELECT {_M} FROM library_moments m ORDER BY m.video_id, m.kind, m.position"
        )
        return [*videos, *moments]

    def size(self) -> tuple[int, int]:
        """(videos, moments) indexed."""
        rows = self._read(
            "SELECT (SELECT COUNT(*) FROM library_videos), (SELECT COUNT(*) FROM library_moments)"
        )
        return int(rows[0][0]), int(rows[0][1])

    def __enter__(self) -> LibraryIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _video_filter(
    chosen: LibraryFilter, date_column: str = "v.created_at"
) -> tuple[str, list[Any]]:
    conditions, params = ["1 = 1"], []
    if chosen.owner is not None:
        conditions.append("v.owner = ?")
        params.append(chosen.owner)
    if chosen.video_ids:
        conditions.append(f"v.video_id IN ({', '.join('?' for _ in chosen.video_ids)})")
        params += chosen.video_ids
    if chosen.titles:
        conditions.append(f"v.title IN ({', '.join('?' for _ in chosen.titles)})")
        params += chosen.titles
    if chosen.source is not None:
        conditions.append("v.kind = ?")
        params.append(chosen.source)
    if chosen.status is not None:
        conditions.append("v.status = ?")
        params.append(chosen.status)
    if chosen.since:
        conditions.append(f"{date_column} >= ?")
        params.append(chosen.since)
    if chosen.until:
        conditions.append(f"{date_column} < ?")
        params.append(chosen.until + _UNTIL_END)
    for word in words_of(chosen.label or ""):
        conditions.append("(' ' || v.labels || ' ') LIKE ?")
        params.append(f"% {word} %")
    return " AND ".join(conditions), params


def _moment_filter(chosen: LibraryFilter) -> tuple[str, list[Any]]:
    return _video_filter(chosen, date_column="m.happened_at")


def _rarest(counted: list[tuple[int, str]], most: int) -> list[str]:
    """The rarest words of (how many moments have it, word) pairs, rarest first, as many as
    ``most`` moments at most have together (none when even the rarest is in more)."""
    rare: list[str] = []
    total = 0
    for count, word in sorted(counted):
        total += count
        if total > most:
            break
        rare.append(word)
    return rare


def _best_of(rows: list[tuple[Any, ...]], limit: int) -> list[tuple[Any, ...]]:
    """The ``limit`` best of (video, moment, rank) rows ranked apart, each moment once (with
    its highest rank: the one scored for the most query words)."""
    video_at, moment_at = VIDEO_COLUMNS.index("created_at"), len(VIDEO_COLUMNS)
    best: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        key = tuple(row[moment_at : moment_at + 3])  # video, kind, position
        if key not in best or row[-1] > best[key][-1]:
            best[key] = row
    ordered = sorted(best.values(), key=lambda r: r[moment_at + 3])  # at_s
    ordered.sort(key=lambda r: str(r[video_at]), reverse=True)
    ordered.sort(key=lambda r: float(r[-1]), reverse=True)
    return ordered[:limit]


def _video(row: Sequence[Any]) -> LibraryVideo:
    return LibraryVideo(**dict(zip(VIDEO_COLUMNS, row, strict=True)))


def _moment(row: Sequence[Any]) -> LibraryMoment:
    return LibraryMoment(**dict(zip(MOMENT_COLUMNS, row, strict=True)))


def _hit(row: Sequence[Any]) -> LibraryHit:
    split = len(VIDEO_COLUMNS)
    end = split + len(MOMENT_COLUMNS)
    return LibraryHit(_video(row[:split]), _moment(row[split:end]), float(row[end]))
