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
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

from videolens.store.atomic import read_json, write_json_atomic
from videolens.store.folders import IdFolders, now_iso
from videolens.streams.errors import StreamNotFoundError
from videolens.streams.recorder import segment_start
from videolens.timeline.model import (
    Moment,
    Record,
    StreamDelivery,
    StreamDocument,
    StreamEvent,
    StreamSpeechSegment,
)

_WINDOW = re.compile(r"^(\d{13})-(\d{10})\.json$")
_EVENT_ID = re.compile(r"^(\d{10}|s\d{9})-\d{1,3}$")
SPEECH_EVENT_PREFIX = "s"
MAX_GAPS_KEPT = 100

R = TypeVar("R", bound=Record)


def iso(at: float) -> str:
    """A wall-clock time as ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="milliseconds")


class StreamHook(Protocol):
    """Told of every write after it is made (the library index keeps itself in step this way)."""

    def document_written(self, document: StreamDocument) -> None: ...
    def moments_written(self, stream_id: str, moments: Sequence[Moment]) -> None: ...
    def speech_written(self, stream_id: str, segments: Sequence[StreamSpeechSegment]) -> None: ...
    def pruned(self, stream_id: str, kept_from_at: float) -> None: ...
    def removed(self, stream_id: str) -> None: ...


class StreamStore(IdFolders[StreamHook]):
    """Streams on the local filesystem; public methods take a stream id, never a path.

    Items are typed: the document is a ``StreamDocument``, described frames are ``Moment``s,
    events ``StreamEvent``s, speech ``StreamSpeechSegment``s; each is written as its model dumps
    it (``as_json``).
    """

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
    ) -> StreamDocument:
        """Create a stream from ``document`` (settings shown to users, JSON) and ``private`` (URL
        with credentials, webhook secret); returns the stored document."""
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
            created = self._write_document(stream_id, stored)
        return created

    def document(self, stream_id: str) -> StreamDocument:
        """The stream document."""
        return StreamDocument.model_validate(self._read_document(stream_id))

    def private(self, stream_id: str) -> dict[str, Any]:
        """The source URL (with credentials) and the webhook secret; for workers only."""
        found: dict[str, Any] = read_json(self.stream_dir(stream_id) / "private.json")
        return found

    def update(self, stream_id: str, **fields: Any) -> StreamDocument:
        """Merge ``fields`` (models, or JSON values) into the document (top level)."""
        document = self._read_document(stream_id)
        document.update({key: _as_json(value) for key, value in fields.items()})
        document["updated_at"] = now_iso()
        return self._write_document(stream_id, document)

    def _write_document(self, stream_id: str, document: dict[str, Any]) -> StreamDocument:
        """Write ``document`` as the model reads it; one the model refuses is not written."""
        checked = StreamDocument.model_validate(document)
        write_json_atomic(self._document_path(stream_id), checked.as_json())
        if self.hook is not None:
            self.hook.document_written(checked)
        return checked

    def list_streams(self) -> list[StreamDocument]:
        """Every stream document, newest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*/stream.json"):
            try:
                found.append(StreamDocument.model_validate(read_json(path)))
            except FileNotFoundError:  # deleted meanwhile
                continue
        return sorted(found, key=lambda d: d.created_at, reverse=True)

    # -- frames ---------------------------------------------------------------------------------

    def write_moments(self, stream_id: str, name: str, moments: list[Moment]) -> None:
        """Store one window's described frames; writing the same window again replaces it."""
        self._write_named(stream_id, "windows", name, moments)
        if self.hook is not None:
            self.hook.moments_written(stream_id, moments)

    def moments(
        self,
        stream_id: str,
        since_at: float | None = None,
        until_at: float | None = None,
        limit: int | None = None,
    ) -> list[Moment]:
        """Described frames with ``since_at <= at < until_at``, oldest first, at most ``limit``."""
        return self._ranged(stream_id, "windows", Moment, _moment_at, since_at, until_at, limit)

    def recent_moments(self, stream_id: str, count: int) -> list[Moment]:
        """The ``count`` newest described frames, oldest first (the rolling timeline)."""
        return self._recent(stream_id, "windows", Moment, count)

    def latest_moment(self, stream_id: str) -> Moment | None:
        recent = self.recent_moments(stream_id, 1)
        return recent[0] if recent else None

    def moment(self, stream_id: str, seq: int) -> Moment | None:
        """One described frame by its number, or None (never described, or pruned)."""
        names = self._names(stream_id, "windows")
        position = bisect.bisect_right([first_seq(n) for n in names], seq) - 1
        if position < 0:
            return None
        moments = self._read_named(stream_id, "windows", names[position], Moment)
        return next((m for m in moments if m.seq == seq), None)

    def window_names(self, stream_id: str) -> list[str]:
        """Names of the stored windows, oldest first (followers use them to see what is new)."""
        return self._names(stream_id, "windows")

    def window_moments(self, stream_id: str, name: str) -> list[Moment]:
        return self._read_named(stream_id, "windows", name, Moment)

    # -- events ---------------------------------------------------------------------------------

    def write_stream_events(self, stream_id: str, name: str, events: list[StreamEvent]) -> None:
        """Store the events one window raised; writing the same window again replaces them."""
        self._write_named(stream_id, "events", name, events)

    def stream_events(
        self,
        stream_id: str,
        since_at: float | None = None,
        until_at: float | None = None,
        limit: int | None = None,
    ) -> list[StreamEvent]:
        """Events with ``since_at <= at < until_at``, oldest first, with their delivery state:
        those frames raised and those speech raised, merged."""
        found = [
            self._with_delivery(stream_id, event)
            for kind in ("events", "speech_events")
            for event in self._ranged(
                stream_id, kind, StreamEvent, _event_at, since_at, until_at, limit
            )
        ]
        found.sort(key=_event_at)
        return found[:limit] if limit is not None else found

    def event_names(self, stream_id: str) -> list[str]:
        return self._names(stream_id, "events")

    def window_stream_events(self, stream_id: str, name: str) -> list[StreamEvent]:
        """The events of one window, with their delivery state."""
        return self._read_delivered(stream_id, "events", name)

    def write_delivery(self, stream_id: str, event_id: str, state: StreamDelivery) -> None:
        """Record a webhook delivery attempt's outcome for one event."""
        if not _EVENT_ID.match(event_id):
            raise ValueError(f"invalid event id {event_id!r}")
        path = self.stream_dir(stream_id) / "deliveries" / f"{event_id}.json"
        write_json_atomic(path, state.as_json())

    def find_event(self, stream_id: str, name: str, event_id: str) -> StreamEvent | None:
        """One event of the window (or speech batch) ``name``, or None (pruned meanwhile)."""
        kind = "speech_events" if event_id.startswith(SPEECH_EVENT_PREFIX) else "events"
        events = self._read_named(stream_id, kind, name, StreamEvent)
        return next((e for e in events if e.event_id == event_id), None)

    def _read_delivered(self, stream_id: str, kind: str, name: str) -> list[StreamEvent]:
        """The events of one file (``kind`` "events" or "speech_events"), with delivery state."""
        events = self._read_named(stream_id, kind, name, StreamEvent)
        return [self._with_delivery(stream_id, e) for e in events]

    def _with_delivery(self, stream_id: str, event: StreamEvent) -> StreamEvent:
        path = self.stream_dir(stream_id) / "deliveries" / f"{event.event_id}.json"
        if path.is_file():
            return event.model_copy(
                update={"webhook": StreamDelivery.model_validate(read_json(path))}
            )
        return event

    # -- speech ---------------------------------------------------------------------------------

    def write_speech(
        self,
        stream_id: str,
        name: str,
        segments: list[StreamSpeechSegment],
        events: list[StreamEvent],
    ) -> None:
        """Store one transcription's segments and its events; the same name again replaces
        them. The events are written first: whoever sees the speech also finds its events."""
        if events:
            self._write_named(stream_id, "speech_events", name, events)
        self._write_named(stream_id, "speech", name, segments)
        if self.hook is not None:
            self.hook.speech_written(stream_id, segments)

    def speech(
        self,
        stream_id: str,
        since_at: float | None = None,
        until_at: float | None = None,
        limit: int | None = None,
    ) -> list[StreamSpeechSegment]:
        """Speech segments starting at ``since_at <= start_at < until_at``, oldest first."""
        return self._ranged(
            stream_id, "speech", StreamSpeechSegment, _start_at, since_at, until_at, limit
        )

    def recent_speech(self, stream_id: str, count: int) -> list[StreamSpeechSegment]:
        """The ``count`` newest speech segments, oldest first."""
        return self._recent(stream_id, "speech", StreamSpeechSegment, count)

    def window_speech(self, stream_id: str, name: str) -> list[StreamSpeechSegment]:
        """The segments one transcription committed."""
        return self._read_named(stream_id, "speech", name, StreamSpeechSegment)

    def window_speech_events(self, stream_id: str, name: str) -> list[StreamEvent]:
        """The events one transcription raised, with their delivery state."""
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

    def _write_named(
        self,
        stream_id: str,
        kind: str,
        name: str,
        items: list[Moment] | list[StreamEvent] | list[StreamSpeechSegment],
    ) -> None:
        if not _WINDOW.match(f"{name}.json"):
            raise ValueError(f"invalid window name {name!r}")
        if not self.exists(stream_id):  # never recreate a stream deleted meanwhile
            raise self.not_found(stream_id)
        path = self.stream_dir(stream_id) / kind / f"{name}.json"
        write_json_atomic(path, [item.as_json() for item in items])

    def _read_named(self, stream_id: str, kind: str, name: str, model: type[R]) -> list[R]:
        try:
            items: list[dict[str, Any]] = read_json(
                self.stream_dir(stream_id) / kind / f"{name}.json"
            )
        except FileNotFoundError:  # pruned meanwhile
            return []
        return [model.model_validate(item) for item in items]

    def _recent(self, stream_id: str, kind: str, model: type[R], count: int) -> list[R]:
        """The ``count`` newest items of the ``kind`` files, oldest first; reads no more files
        than it needs, newest first."""
        out: list[R] = []
        for name in reversed(self._names(stream_id, kind)):
            if len(out) >= count:
                break
            out[:0] = self._read_named(stream_id, kind, name, model)
        return out[-count:] if count > 0 else []

    def names(self, stream_id: str, kind: str) -> list[str]:
        """Sorted names of the ``kind`` files ("windows", "events", "speech", "speech_events")."""
        return self._names(stream_id, kind)

    def _ranged(
        self,
        stream_id: str,
        kind: str,
        model: type[R],
        at: Callable[[R], float],
        since_at: float | None,
        until_at: float | None,
        limit: int | None,
    ) -> list[R]:
        out: list[R] = []
        for name in self._names_in_range(stream_id, kind, since_at, until_at):
            for item in self._read_named(stream_id, kind, name, model):
                if _within(at(item), since_at, until_at):
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


def _as_json(value: Any) -> Any:
    """A document field's JSON: models dumped (lists of them too), anything else as it is."""
    if isinstance(value, Record):
        return value.as_json()
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


def _moment_at(moment: Moment) -> float:
    return moment.at or 0.0


def _event_at(event: StreamEvent) -> float:
    return event.at


def _start_at(segment: StreamSpeechSegment) -> float:
    return segment.start_at


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
