"""Retrieval latency on a 10,000-frame session: ``Retriever.retrieve`` vs a naive scan.

The session is synthetic but varied (scenes, objects, colours, places, on-screen words and
numbers). 200 questions mix keyword questions, on-screen words, times ("at 1:23:45"), ranges,
order ("after the bus stops") and start/end. The index is built once (timed separately), then
every question is timed; the baseline scans every frame's text for each query word in the same
run, with no index and no ranking beyond counting matches.

    .venv/bin/python bench/bench_retrieval.py [--frames 10000] [--queries 200] [--budget 3000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from videolens.chat.retrieval import Retriever, frame_words
from videolens.timeline.model import SessionDocument

SUBJECTS = [
    "car",
    "bus",
    "cyclist",
    "dog",
    "crowd",
    "man",
    "woman",
    "child",
    "train",
    "boat",
    "plane",
    "truck",
    "horse",
]
ACTIONS = [
    "stops",
    "turns",
    "parks",
    "waits",
    "crosses",
    "runs",
    "jumps",
    "arrives",
    "leaves",
    "passes",
    "falls",
]
PLACES = [
    "street",
    "harbour",
    "market",
    "station",
    "park",
    "bridge",
    "beach",
    "tunnel",
    "square",
    "shop",
    "field",
]
COLOURS = ["red", "blue", "green", "yellow", "white", "black", "grey", "orange"]
WORDS = [
    "EXIT",
    "OPEN",
    "SALE",
    "STOP",
    "HOTEL",
    "TAXI",
    "POLICE",
    "BAKERY",
    "CAFE",
    "METRO",
    "BANK",
    "PHARMACY",
]


def synthetic_session(frames: int, seed: int = 7) -> SessionDocument:
    rng = random.Random(seed)
    records = []
    for i in range(frames):
        subject, place = rng.choice(SUBJECTS), rng.choice(PLACES)
        description = (
            f"a {rng.choice(COLOURS)} {subject} {rng.choice(ACTIONS)} near the {place}, "
            f"{rng.choice(['bright', 'dim', 'dark'])} scene with {rng.randint(1, 9)} people"
        )
        text = [f"{rng.choice(WORDS)} {rng.randint(1, 999)}"] if rng.random() < 0.3 else []
        records.append(
            {
                "index": i, "timestamp_s": round(i * 2.0 + rng.random(), 3),
                "description": description, "text": text, "objects": [subject, place],
                "people": ["person"] * rng.randint(0, 2), "actions": [rng.choice(ACTIONS)],
                "shot_start": rng.random() < 0.05, "image": f"frames/{i:06d}.jpg",
            }
        )  # fmt: skip
    return SessionDocument.model_validate({
        "session_id": "benchbenchbe", "status": "completed", "created_at": "now",
        "updated_at": "now",
        "video": {"path": "bench.mp4", "duration_s": frames * 2.0 + 1}, "frames": records,
    })  # fmt: skip


def questions(count: int, duration_s: float, seed: int = 11) -> list[str]:
    rng = random.Random(seed)

    def clock() -> str:
        t = int(rng.uniform(0, duration_s))
        return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}"

    makers = [
        lambda: f"when does the {rng.choice(COLOURS)} {rng.choice(SUBJECTS)} appear?",
        lambda: f"where is the word {rng.choice(WORDS)} shown on screen?",
        lambda: f"what happens at {clock()}?",
        lambda: f"what happens after the {rng.choice(SUBJECTS)} {rng.choice(ACTIONS)}?",
        lambda: f"who is near the {rng.choice(PLACES)} before {clock()}",
        lambda: f"what is shown between {clock()} and {clock()}",
        lambda: f"how does the video end near the {rng.choice(PLACES)}?",
        lambda: f"is there a {rng.choice(SUBJECTS)} that {rng.choice(ACTIONS)} in a dim scene",
    ]
    return [makers[i % len(makers)]() for i in range(count)]


def naive_scan(document: SessionDocument, question: str) -> list[int]:
    """The baseline: lowercase substring matches of each query word over every frame."""
    words = [w for w in question.lower().replace("?", " ").split() if len(w) > 2]
    counts = []
    for frame in document.frames:
        text = frame_words(frame).lower()
        hits = sum(word in text for word in words)
        if hits:
            counts.append((hits, frame.index or 0))
    counts.sort(reverse=True)
    return [index for _, index in counts[:20]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--budget", type=int, default=3000, help="context tokens")
    args = parser.parse_args()

    document = synthetic_session(args.frames)
    asked = questions(args.queries, document.video.duration_s or 0.0)
    retriever = Retriever()
    start = time.perf_counter()
    retriever.index(document)
    build_s = time.perf_counter() - start

    timings = []
    moments = []
    for question in asked:
        start = time.perf_counter()
        context = retriever.retrieve(document, question, args.budget)
        timings.append((time.perf_counter() - start) * 1000)
        moments.append(len(context.moments))
    naive = []
    for question in asked:
        start = time.perf_counter()
        naive_scan(document, question)
        naive.append((time.perf_counter() - start) * 1000)

    print(f"session: {args.frames} frames, {args.queries} questions, budget {args.budget} tokens")
    print(f"index build (once per document version): {build_s * 1000:.0f} ms")
    for name, values in (("retrieve()", timings), ("naive scan", naive)):
        print(
            f"{name:<11} p50 {statistics.median(values):7.2f} ms   "
            f"p99 {percentile(values, 0.99):7.2f} ms   max {max(values):7.2f} ms"
        )
    print(f"moments per context: median {statistics.median(moments):.0f}")
    verdict = "PASS" if percentile(timings, 0.99) < 50 else "FAIL"
    print(f"target p99 < 50 ms: {verdict}")


if __name__ == "__main__":
    main()
