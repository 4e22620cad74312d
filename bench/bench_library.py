"""The library index at scale: 1,000 sessions × 300 moments, on SQLite (FTS5) and PostgreSQL.

The bench writes the sessions itself through the session store (documents with frames and
speech, as a finished analysis leaves them; no analysis runs), then times, in one run:
- the index build (``videolens reindex``'s ``rebuild``: every document read from the store and
  indexed) on the embedded SQLite file and on PostgreSQL;
- library search over the whole index, as an admin (every video) and as one key (its videos),
  per query: p50, p99, max;
  (SQLite: also the CPU time of each search, which the machine's load does not inflate);
- today's per-query scan (``chat.search.search_sessions``: every document loaded and indexed per
  query, as ``GET /v1/search`` did) on the same sessions: the baseline.

PostgreSQL is the local one (``--postgres``; skipped when unreachable); the bench works in a
schema of its own and drops it at the end.

    .venv/bin/python bench/bench_library.py [--sessions 1000] [--moments 300] [--queries 200]
        [--baseline-queries 3] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import quote

from videolens.chat.search import search_sessions
from videolens.library import LibraryFilter, LibraryIndex
from videolens.library.reindex import rebuild
from videolens.library.sqlite_index import SqliteIndex
from videolens.store import SessionStore
from videolens.store.sessions import SessionStatus
from videolens.streams.store import StreamStore
from videolens.timeline.model import Detection, Moment, Speech, SpeechSegment

LABELS = ["person", "car", "van", "truck", "bus", "bicycle", "dog", "cat", "boat", "horse",
          "backpack", "umbrella", "suitcase", "bench", "bird", "motorcycle"]  # fmt: skip
COLOURS = ["white", "black", "red", "blue", "green", "yellow", "grey", "silver"]
PLACES = ["street", "car park", "harbour", "kitchen", "office", "garden", "station", "shop",
          "warehouse", "beach", "corridor", "stage"]  # fmt: skip
ACTIONS = ["walks past", "stops", "turns left", "parks", "waits", "crosses", "arrives",
           "leaves", "runs", "opens the door"]  # fmt: skip
SIGNS = ["EXIT", "OPEN", "SALE", "PLATFORM 4", "NO PARKING", "DELIVERIES", "WELCOME", "CASH"]
SAID = ["the delivery is late", "please wait here", "the van is outside", "we open at nine",
        "mind the gap", "turn left at the lights", "the meeting starts now"]  # fmt: skip
OWNERS = [f"key{n:02d}" for n in range(10)]
BOX = [0.1, 0.1, 0.5, 0.5]


def _moment(rng: random.Random, index: int) -> Moment:
    labels = rng.sample(LABELS, rng.randint(1, 3))
    colour = rng.choice(COLOURS)
    place = rng.choice(PLACES)
    detections = [Detection(label=label, score=0.8, box=BOX, colour=colour) for label in labels]
    return Moment(
        index=index,
        timestamp_s=index * 2.0,
        description=f"A {colour} {labels[0]} {rng.choice(ACTIONS)} in the {place}.",
        detections=detections,
        text=[rng.choice(SIGNS)] if rng.random() < 0.2 else [],
        model="bench",
    )


def write_sessions(store: SessionStore, sessions: int, moments: int, seed: int = 7) -> None:
    """``sessions`` finished sessions of ``moments`` frames each (and some speech)."""
    rng = random.Random(seed)
    for n in range(sessions):
        document = store.create(f"/videos/cam{n:04d}.mp4", {})
        frames = [_moment(rng, i) for i in range(moments)]
        segments = [SpeechSegment(start_s=i * 20.0, end_s=i * 20.0 + 3, text=rng.choice(SAID))
                    for i in range(moments // 30)]  # fmt: skip
        store.finish(document.session_id, SessionStatus.COMPLETED, frames=frames,
                     owner=OWNERS[n % len(OWNERS)], filename=f"cam{n:04d}.mp4",
                     speech=Speech(status="ok", segments=segments))  # fmt: skip


def queries(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    shapes: list[Callable[[], str]] = [
        lambda: f"{rng.choice(COLOURS)} {rng.choice(LABELS)}",
        lambda: rng.choice(LABELS),
        lambda: f"{rng.choice(LABELS)} in the {rng.choice(PLACES)}",
        lambda: rng.choice(SIGNS).lower(),
        lambda: rng.choice(SAID).split()[-1],
        lambda: f"{rng.choice(LABELS)} {rng.choice(ACTIONS)}",
    ]
    return [rng.choice(shapes)() for _ in range(count)]


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (f"p50 {statistics.median(ordered) * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms   "
            f"max {ordered[-1] * 1000:8.1f} ms   ({len(ordered)} queries)")  # fmt: skip


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def bench_index(
    name: str,
    index: LibraryIndex,
    store: SessionStore,
    asked: list[str],
    built_note: Callable[[], str] = str,
) -> None:
    """Rebuild ``index`` from ``store``, then time ``asked`` as an admin and as one key;
    ``built_note`` adds to the build's line (what else the build made)."""
    index.upgrade()
    streams = StreamStore(store.root.parent / "streams")
    built = _timed(lambda: rebuild(index, store, streams))
    videos, moments = index.size()
    print(f"{name}: index build {built:.1f} s ({videos} videos, {moments} moments, "
          f"{moments / built:,.0f} moments/s{built_note()})")  # fmt: skip
    for who, chosen in (("admin (all videos)", LibraryFilter()),
                        ("one key (its videos)", LibraryFilter(owner=OWNERS[3]))):  # fmt: skip
        index.search(asked[0], chosen)  # warm the caches (and load a model) once
        took, cpu = [], []
        for query in asked:
            started = time.thread_time()
            took.append(_timed(partial(index.search, query, chosen, 20)))
            cpu.append(time.thread_time() - started)
        print(f"  search, {who:22} {_ms(took)}")
        if isinstance(index, SqliteIndex):  # in this process: its CPU time, whatever the load
            print(f"    CPU time of this search {'':9} {_ms(cpu)}")


def bench_baseline(store: SessionStore, asked: list[str]) -> None:
    def scan(query: str) -> None:
        ids = [listing.session_id for listing in store.list_sessions()]
        search_sessions((store.document(i) for i in ids), query, 20)

    print(f"baseline, per-query scan (search_sessions over every document): "
          f"{_ms([_timed(partial(scan, q)) for q in asked])}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--moments", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    asked = queries(args.queries)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # figures as they come
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-library-") as folder:
        data = Path(folder)
        store = SessionStore(data / "sessions")
        wrote = _timed(lambda: write_sessions(store, args.sessions, args.moments))
        print(f"wrote {args.sessions} sessions × {args.moments} moments through the store in "
              f"{wrote:.1f} s")  # fmt: skip
        with SqliteIndex(data / "library.sqlite") as embedded:
            bench_index("SQLite FTS5", embedded, store, asked)
        bench_postgres(args.postgres, store, asked)
        bench_baseline(store, asked[: args.baseline_queries])


def bench_postgres(url: str, store: SessionStore, asked: list[str]) -> None:
    import psycopg

    from videolens.library.postgres_index import PostgresIndex

    schema = f"bench_library_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as err:
        print(f"PostgreSQL: skipped ({err})")
        return
    try:
        with PostgresIndex(f"{url}?options={quote(f'-csearch_path={schema}')}") as shared:
            bench_index("PostgreSQL tsvector/GIN", shared, store, asked)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
