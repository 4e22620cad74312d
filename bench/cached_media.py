"""Media the benchmarks build once and keep under bench/out/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def cached(name: str, what: str, build: Callable[[Path], None]) -> Path:
    """``OUT/name``, built by ``build(partial)`` on the first run: it writes a partial file that
    becomes the cached one only once complete, so an interrupted build is never reused."""
    path = OUT / name
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"building {what} (once)...", flush=True)
    partial = path.with_name("partial_" + path.name)
    build(partial)
    partial.replace(path)
    return path
