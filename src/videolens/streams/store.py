"""One folder per live stream under ``DATA_DIR/streams``; bounded by the retention window.

Layout of ``<root>/<stream_id>/``:
- ``stream.json`` — the stream document: settings, status, counters, the latest frame, recent
  gaps; it never grows with the stream's age;
- ``private.json`` (mode 0600) — the source URL with its credentials and the webhook secret,
  which never enter Temporal's history, the document or a response;
- ``frames/<seq>.jpg`` — kept frames;
- ``windows/<first ms>-<first seq>.json`` — one ingest window's described frames, written
  atomically once (a retry rewrites the same file: no duplicates); names sort by time and seq,
  so range queries and retention read names, not files;
- ``events/<same name>.json`` — the events those frames raised; ``deliveries/<event id>.json`` —
  webhook delivery state; ``recordings/<ms>.ts`` — recorded segments, when recording is on;
- ``audio/<ms>.wav`` — a window's audio, until it is transcribed; ``speech/<first ms>-<batch>.json``
  — the speech one transcription committed (``start_at``, ``end_at``, ``text``), and
  ``speech_events/<same name>.json`` the events it raised (ids ``s<batch>-<n>``). Speech files
  are named after their first segment, so they too sort by time.
"""

from __future__ import annotations

import bisect
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from videolens.store.atomic import read_json, write_json_atomic
from videolens.store.folders import IdFolders, now_iso
from videolens.streams.errors import StreamNotFoundError
from videolens.streams.recorder import segment_start

_WINDOW = re.compile(r"^(\d{13})-(\d{10})\.json$")
_EVENT_ID = re.compile(r"^(\d{10}|s\d{9})-\d{1,3}$")
SPEECH_EVENT_PREFIX = "s"
MAX_GAPS_KEPT = 100


def iso(at: float) -> str:
    """A wall-clock time as ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="milliseconds")


class StreamStore(IdFolders):
    """Streams on the local filesystem; public methods take a stream id, never a path."""

    KIND = "stream"
    NOT_FOUND = StreamNotFoundError
    DOCUMENT = "stream.json"

    # The generic name under this store's words.
    stream_dir = IdFolders.folder

    def recordings_dir(self, stream_id: str) -> Path:
        return self.stream_dir(stream_id) / "recordings"

    def audio_dir(self, stream_id: str) -> Path:
        return self.stream_dir(stream_id) / "audio"

    # -- the document ---------------------------------------------------------------------------

    def create(
        self, document: dict[str, Any], private: dict[str, Any], stream_id: str | None = None
    ) -> dict[str, Any]:
        """Create a stream from ``document`` (settings shown to users) and ``private`` (URL with
        credentials, webhook secret); returns the stored document."""
        with self._new_folder(stream_id) as (stream_id, directory):
            stored = {
                **self._new_document(stream_id, "starting"),
                "frames_total": 0,
                "events_total": 0,
                "latest": None,
                "gaps": [],
                "source_error": "",
                "error": None,
                **document,
            }
            secret_path = directory / "private.json"
            write_json_atomic(secret_path, private)
            os.chmod(secret_path, 0o600)
            write_json_atomic(self._document_path(stream_id), stored)
        return stored

    def get(self, stream_id: str) -> dict[str, Any]:
        return self._read_document(stream_id)

    def private(self, stream_id: str) -> dict[str, Any]:
        """The source URL (with credentials) and the webhook secret; for workers only."""
        found: dict[str, Any] = read_json(self.stream_dir(stream_id) / "private.json")
        return found

    def update(self, stream_id: str, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into the document (top level)."""
        document = self.get(stream_id)
        document.update(fields, updated_at=now_iso())
        write_json_atomic(self._document_path(stream_id), document)
        return document

    def list_streams(self) -> list[dict[str, Any]]:
        """Every stream document, newest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*/stream.json"):
            try:
                found.append(read_json(path))
            except FileNotFoundError:  # deleted meanwhile
                continue
        return sorted(found, key=lambda d: str(d["created_at"]), reverse=True)

    def delete(self, stream_id: str) -> None:
        """Remove a stream and everything it owns."""
        directory = self.stream_dir(stream_id)
        if not directory.is_dir():
            raise self.not_found(stream_id)
        shutil.rmtree(directory)

    # -- frames ---------------------------------------------------------------------------------

    def write_window(self, stream_id: str, name: str, records: list[dict[str, Any]]) -> None:
        """Store one window's described frames; writing the same window again replaces it."""
        self._write_named(stream_id, "windows", name, records)

    def frames(
        self,
        stream_id: str,
        since_at: float | None = None,
        until_at: float | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Described frames with ``since_at <= at < until_at``, oldest first, at most ``limit``."""
        return self._ranged(stream_id, "windows", "at", since_at, until_at, limit)

    def recent_frames(self, stream_id: str, count: int) -> list[dict[str, Any]]:
        """The ``count`` newest described frames, oldest first (the rolling timeline)."""
        return self._recent(stream_id, "windows", count)

    def latest_frame(self, stream_id: str) -> dict[str, Any] | None:
        recent = self.recent_frames(stream_id, 1)
        return recent[0] if recent else None

    def frame(self, stream_id: str, seq: int) -> dict[str, Any] | None:
        """One described frame by its number, or None (never described, or pruned)."""
        names = self._names(stream_id, "windows")
        position = bisect.bisect_right([first_seq(n) for n in names], seq) - 1
        if position < 0:
            return None
        records = self._read_named(stream_id, "windows", names[position])
        return next((r for r in records if int(r["seq"]) == seq), None)

    def window_names(self, stream_id: str) -> list[str]:
        """Names of the stored windows, oldest first (followers use them to see what is new)."""
        return self._names(stream_id, "windows")

    def window_frames(self, stream_id: str, name: str) -> list[dict[str, Any]]:
        return self._read_named(stream_id, "windows", name)

    # -- events ---------------------------------------------------------------------------------

    def write_events(self, stream_id: str, name: str, events: list[dict[str, Any]]) -> None:
        """Store the events one window raised; writing the same window again replaces them."""
        self._write_named(stream_id, "events", name, events)

    def events(
        self,
        stream_id: str,
        since_at: float | None = None,
        until_at: float | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Events with ``since_at <= at < until_at``, oldest first, with their delivery state:
        those frames raised and those speech raised, merged."""
        found = [
            self._with_delivery(stream_id, event)
            for kind in ("events", "speech_events")
            for event in self._ranged(stream_id, kind, "at", since_at, until_at, limit)
        ]
        found.sort(key=lambda e: float(e["at"]))
        return found[:limit] if limit is not None else found

    def event_names(self, stream_id: str) -> list[str]:
        return self._names(stream_id, "events")

    def window_events(self, stream_id: str, name: str) -> list[dict[str, Any]]:
        return self._read_delivered(stream_id, "events", name)

    def write_delivery(self, stream_id: str, event_id: str, state: dict[str, Any]) -> None:
        """Record a webhook delivery attempt's outcome for one event."""
        if not _EVENT_ID.match(event_id):
            raise ValueError(f"invalid event id {event_id!r}")
        write_json_atomic(self.stream_dir(stream_id) / "deliveries" / f"{event_id}.json", state)

    def find_event(self, stream_id: str, name: str, event_id: str) -> dict[str, Any] | None:
        """One event of the window (or speech batch) ``name``, or None (pruned meanwhile)."""
        kind = "speech_events" if event_id.startswith(SPEECH_EVENT_PREFIX) else "events"
        events = self._read_named(stream_id, kind, name)
        return next((e for e in events if e["event_id"] == event_id), None)

    def _read_delivered(self, stream_id: str, kind: str, name: str) -> list[dict[str, Any]]:
        """The events of one file (``kind`` "events" or "speech_events"), with delivery state."""
        return [self._with_delivery(stream_id, e) for e in self._read_named(stream_id, kind, name)]

    def _with_delivery(self, stream_id: str, event: dict[str, Any]) -> dict[str, Any]:
        path = self.stream_dir(stream_id) / "deliveries" / f"{event['event_id']}.json"
        if path.is_file():
            return {**event, "webhook": read_json(path)}
        return event

    # -- speech ---------------------------------------------------------------------------------

    def write_speech(
        self,
        stream_id: str,
        name: str,
        segments: list[dict[str, Any]],
        events: list[dict[str, Any]],
    ) -> None:
        """Store one transcription's segments and its events; the same name again replaces
        them. The events are written first: whoever sees the speech also finds its events."""
        if events:
            self._write_named(stream_id, "speech_events", name, events)
        self._write_named(stream_id, "speech", name, segments)

    def speech(
        self,
        stream_id: str,
        since_at: float | None = None,
        until_at: float | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Speech segments starting at ``since_at <= start_at < until_at``, oldest first."""
        return self._ranged(stream_id, "speech", "start_at", since_at, until_at, limit)

    def recent_speech(self, stream_id: str, count: int) -> list[dict[str, Any]]:
        """The ``count`` newest speech segments, oldest first."""
        return self._recent(stream_id, "speech", count)

    def speech_segments(self, stream_id: str, name: str) -> list[dict[str, Any]]:
        return self._read_named(stream_id, "speech", name)

    def speech_events(self, stream_id: str, name: str) -> list[dict[str, Any]]:
        return self._read_delivered(stream_id, "speech_events", name)

    # -- recordings -----------------------------------------------------------------------------

    def recordings(self, stream_id: str) -> list[dict[str, Any]]:
        """Recorded segments, oldest first: name, start (and end, but for the last), size."""
        folder = self.recordings_dir(stream_id)
        files = sorted(p for p in folder.glob("*.ts") if segment_start(p) is not None)
        out = []
        for i, path in enumerate(files):
            start = segment_start(path)
            end = segment_start(files[i + 1]) if i + 1 < len(files) else None
            out.append({"name": path.name, "start_at": start, "end_at": end, "bytes": _size(path)})
        return out

    # -- files ----------------------------------------------------------------------------------

    def _write_named(self, stream_id: str, kind: str, name: str, items: list[Any]) -> None:
        if not _WINDOW.match(f"{name}.json"):
            raise ValueError(f"invalid window name {name!r}")
        if not self.exists(stream_id):  # never recreate a stream deleted meanwhile
            raise self.not_found(stream_id)
        write_json_atomic(self.stream_dir(stream_id) / kind / f"{name}.json", items)

    def _read_named(self, stream_id: str, kind: str, name: str) -> list[dict[str, Any]]:
        try:
            items: list[dict[str, Any]] = read_json(
                self.stream_dir(stream_id) / kind / f"{name}.json"
            )
        except FileNotFoundError:  # pruned meanwhile
            return []
        return items

    def _recent(self, stream_id: str, kind: str, count: int) -> list[dict[str, Any]]:
        """The ``count`` newest items of the ``kind`` files, oldest first; reads no more files
        than it needs, newest first."""
        out: list[dict[str, Any]] = []
        for name in reversed(self._names(stream_id, kind)):
            if len(out) >= count:
                break
            out[:0] = self._read_named(stream_id, kind, name)
        return out[-count:] if count > 0 else []

    def names(self, stream_id: str, kind: str) -> list[str]:
        """Sorted names of the ``kind`` files ("windows", "events", "speech", "speech_events")."""
        return self._names(stream_id, kind)

    def _ranged(
        self,
        stream_id: str,
        kind: str,
        key: str,
        since_at: float | None,
        until_at: float | None,
        limit: int | None,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for name in self._names_in_range(stream_id, kind, since_at, until_at):
            for item in self._read_named(stream_id, kind, name):
                if _within(float(item[key]), since_at, until_at):
                    out.append(item)
                    if limit is not None and len(out) >= limit:
                        return out
        return out

    def _names(self, stream_id: str, kind: str) -> list[str]:
        folder = self.stream_dir(stream_id) / kind
        try:
            entries = os.listdir(folder)
        except FileNotFoundError:
            return []
        return sorted(entry[:-5] for entry in entries if _WINDOW.match(entry))

    def _names_in_range(
        self, stream_id: str, kind: str, since_at: float | None, until_at: float | None
    ) -> list[str]:
        names = self._names(stream_id, kind)
        starts = [first_at(n) for n in names]
        low = 0 if since_at is None else max(0, bisect.bisect_right(starts, since_at) - 1)
        high = len(names) if until_at is None else bisect.bisect_left(starts, until_at)
        return names[low:high]


def first_at(name: str) -> float:
    """The wall-clock time of a window's first frame, from its name."""
    return int(name[:13]) / 1000


def first_seq(name: str) -> int:
    """The number of a window's first frame, from its name."""
    return int(name[14:24])


def _within(at: float, since_at: float | None, until_at: float | None) -> bool:
    return (since_at is None or at >= since_at) and (until_at is None or at < until_at)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
