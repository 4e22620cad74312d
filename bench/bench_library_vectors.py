"""The embedded library index with vectors (sqlite-vec + the packaged MiniLM) against FTS5 alone.

On the synthetic sessions of ``bench_library.py`` (written through the store; no analysis
runs), in one run:
- the index build (``videolens reindex``'s ``rebuild``) without and with vectors (with: every
  moment's text encoded by MiniLM on the CPU);
- library search as an admin (every video) and as one key, per query: p50, p99, max, and the
  CPU time of each search (which the machine's load does not inflate); with vectors a search
  encodes the query and fuses bm25's ranking with the nearest vectors';
- how many of a few synonym queries ("automobile" for "car") find anything, with each;
- the nearest-vector read alone over ``--scale-vectors`` random vectors added to the table,
  shared by the ten keys as the sessions are (a search reads every vector of the asker's
  partition; an admin's, all of them).

    PYTHONPATH=... .venv/bin/python bench/bench_library_vectors.py [--sessions 20]
        [--moments 300] [--queries 200] [--scale-vectors 300000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

import bench_library as library_bench
from bench_library import OWNERS, _ms, _timed, queries, write_sessions
from videolens.library import LibraryFilter
from videolens.library.index import Cursor
from videolens.library.sqlite_index import SqliteIndex
from videolens.library.vectors import DIMENSIONS, VECTOR_TABLE, vectors_unavailable
from videolens.store import SessionStore

# Words no synthetic moment says, each naming something some moments show.
SYNONYMS = ["automobile", "lorry", "puppy", "kitten", "ship", "motorbike", "coach", "pony",
            "rucksack", "parasol", "luggage", "pushbike"]  # fmt: skip


def bench_index(name: str, index: SqliteIndex, store: SessionStore, asked: list[str]) -> None:
    library_bench.bench_index(
        name, index, store, asked, built_note=lambda: f", {index.vectors_size()} vectors"
    )
    found = [q for q in SYNONYMS if index.search(q, LibraryFilter())]
    print(f"  synonym queries with a hit: {len(found)}/{len(SYNONYMS)} {found}")


def bench_scale(index: SqliteIndex, count: int) -> None:
    """The nearest-vector read over ``count`` more (random) vectors, of the ten keys."""
    rng = np.random.default_rng(5)
    with index.transaction() as cursor:
        for start in range(0, count, 10_000):
            block = rng.standard_normal((min(10_000, count - start), DIMENSIONS), np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            cursor.executemany(
                f"INSERT INTO {VECTOR_TABLE} (rowid, embedding, owner) VALUES (?, ?, ?)",
                [[10_000_000 + start + n, v.tobytes(), OWNERS[n % len(OWNERS)]]
                 for n, v in enumerate(block)],
            )  # fmt: skip
    query = rng.standard_normal(DIMENSIONS, np.float32)
    query /= np.linalg.norm(query)
    total = index.vectors_size()
    for who, owner in (("admin (every vector)", None), ("one key (its partition)", OWNERS[3])):
        sql = index._vectors.nearest_sql(owner)  # type: ignore[union-attr]
        params = [query.tobytes(), *([owner] if owner else [])]
        read = partial(Cursor(index._db, "?").execute, sql, params)
        took = [_timed(read) for _ in range(50)]
        print(f"  nearest 100 of {total:,} vectors, {who:24} {_ms(took)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--moments", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--scale-vectors", type=int, default=300_000)
    args = parser.parse_args()
    why = vectors_unavailable()
    if why:
        sys.exit(f"library vectors are unavailable: {why}")
    asked = queries(args.queries)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # figures as they come
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-library-vectors-") as folder:
        data = Path(folder)
        store = SessionStore(data / "sessions")
        write_sessions(store, args.sessions, args.moments)
        with SqliteIndex(data / "words.sqlite") as words:
            bench_index("SQLite FTS5 alone", words, store, asked)
        with SqliteIndex(data / "vectors.sqlite", vectors=True) as hybrid:
            bench_index("SQLite FTS5 + sqlite-vec (RRF)", hybrid, store, asked)
            if args.scale_vectors:
                bench_scale(hybrid, args.scale_vectors)


if __name__ == "__main__":
    main()
