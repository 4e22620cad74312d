"""Retention: what of a stream is older than its window goes, judged from file names alone.

A window of frames (or a recorded segment) goes when the next one starts at or before the
cut-off, so no frame younger than the cut-off is lost and the newest window always stays; a
window's events and tracks go with it; JPEGs and webhook deliveries go by frame number.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from videolens.streams.store import StreamStore, first_at, first_seq
from videolens.streams.tracks import prune_tracks


@dataclass
class Pruned:
    """What one retention pass removed."""

    windows: int = 0
    frames: int = 0
    events: int = 0
    recordings: int = 0


def prune(store: StreamStore, stream_id: str, before_at: float) -> Pruned:
    """Remove the stream's frames, windows, events and recordings older than ``before_at``."""
    pruned = Pruned()
    folder = store.stream_dir(stream_id)
    names = store.names(stream_id, "windows")
    for name, following in itertools.pairwise(names):
        if first_at(following) > before_at:
            break
        (folder / "windows" / f"{name}.json").unlink(missing_ok=True)
        pruned.windows += 1
    if pruned.windows:
        first_kept = names[pruned.windows]
        for name in store.names(stream_id, "events"):
            if name >= first_kept:
                break
            (folder / "events" / f"{name}.json").unlink(missing_ok=True)
            pruned.events += 1
        oldest = first_seq(first_kept)
        if store.hook is not None:
            store.hook.pruned(stream_id, first_at(first_kept))
        pruned.frames = remove_numbered(store.frames_dir(stream_id), ".jpg", below=oldest)
        prune_tracks(store, stream_id, first_kept, before_at)
        remove_numbered(folder / "deliveries", ".json", below=oldest)
    segments = store.recordings(stream_id)
    for segment in segments[:-1]:
        if segment["end_at"] is not None and segment["end_at"] <= before_at:
            (store.recordings_dir(stream_id) / segment["name"]).unlink(missing_ok=True)
            pruned.recordings += 1
    return pruned


def remove_numbered(
    folder: Path, suffix: str, *, below: int | None = None, from_seq: int | None = None
) -> int:
    """Remove ``<10-digit seq>…suffix`` files numbered below ``below`` or from ``from_seq`` on;
    returns how many went."""
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return 0
    removed = 0
    for entry in entries:
        digits = entry[:10]
        if not (entry.endswith(suffix) and digits.isdigit()):
            continue
        seq = int(digits)
        if (below is not None and seq < below) or (from_seq is not None and seq >= from_seq):
            (folder / entry).unlink(missing_ok=True)
            removed += 1
    return removed
