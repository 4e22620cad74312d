"""One folder per session under the data dir.

Layout of ``<root>/<session_id>/``:
- ``session.json`` — the session document (the public result JSON once completed);
- ``batches/<batch_id>.json`` — described frames, one file per batch, written atomically as each
  batch finishes, so a crash loses at most the batch in flight and a retried batch overwrites its
  own file instead of duplicating frames;
- ``speech/<range_id>.json`` — recognised speech segments, one file per audio range;
- ``frames/`` — sampled JPEGs; ``tmp/`` — scratch space removed when the session ends.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, Field

from videolens.errors import SessionNotFoundError
from videolens.store.atomic import read_json, write_json_atomic
from videolens.store.folders import IdFolders, is_valid_id, now_iso
from videolens.store.space import raising_out_of_space
from videolens.timeline.model import (
    Moment,
    Record,
    SessionDocument,
    SessionHeader,
    SessionOptions,
    SpeechSegment,
    VideoInfo,
)

_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
R = TypeVar("R", bound=Record)
# What a run writes besides its document and video; a failed run keeps none of it.
_PARTIAL_DIRS = ("frames", "batches", "speech", "tracks", "tmp")  # tracks: the detection pass


class SessionStatus(str, Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


is_valid_session_id = is_valid_id


class SessionListing(SessionHeader):
    """One entry of ``SessionStore.list_sessions``: a session without its frames, with its owner
    and the video's path on the server (never shown to API clients)."""

    owner: str | None = None
    video: str = Field(default="", description="The video's path on the server.")

    @classmethod
    def of(cls, document: SessionDocument, frames: int | None = None) -> SessionListing:
        """The listing of ``document``; ``frames`` counts its frames unless given (a running
        session's are in its batch files)."""
        return cls(
            session_id=document.session_id,
            status=document.status,
            created_at=document.created_at,
            updated_at=document.updated_at,
            owner=document.owner,
            filename=document.filename,
            title=document.title,
            video=document.video.path or "",
            duration_s=document.video.duration_s,
            frames=len(document.frames) if frames is None else frames,
            error=document.error,
        )


def _as_json(value: object) -> object:
    """A field's JSON: models dumped as they were built or loaded, lists of them item by item."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, (list, tuple)):
        return [_as_json(item) for item in value]
    return value


class SessionHook(Protocol):
    """Told of every write after it is made (the library index keeps itself in step this way)."""

    def document_written(self, document: SessionDocument) -> None: ...
    def batch_written(self, session_id: str, moments: Sequence[Moment]) -> None: ...
    def speech_written(self, session_id: str, segments: Sequence[SpeechSegment]) -> None: ...
    def removed(self, session_id: str) -> None: ...


class SessionStore(IdFolders[SessionHook]):
    """Sessions on the local filesystem. Every public method takes a session id, never a path.

    A ``hook`` is told of each write and removal once it is on disk.
    """

    KIND = "session"
    NOT_FOUND = SessionNotFoundError
    DOCUMENT = "session.json"

    # The generic names under this store's words.
    new_session_id = IdFolders.new_id
    session_dir = IdFolders.folder

    def temp_dir(self, session_id: str) -> Path:
        return self.folder(session_id) / "tmp"

    def create(
        self,
        video_path: str,
        options: SessionOptions | Mapping[str, Any],
        session_id: str | None = None,
    ) -> SessionDocument:
        """Create a running session for ``video_path`` and return its document."""
        with self._new_folder(session_id) as (session_id, _):
            now = now_iso()
            document = SessionDocument(
                session_id=session_id,
                status=SessionStatus.RUNNING.value,
                created_at=now,
                updated_at=now,
                options=SessionOptions.model_validate(options),
                video=VideoInfo(path=video_path),
                frames=[],
                coverage=None,
                timings={},
            )
            self._write_document(session_id, document)
        return document

    def _write_document(self, session_id: str, document: SessionDocument) -> None:
        write_json_atomic(self._document_path(session_id), document.as_json())
        if self.hook is not None:
            self.hook.document_written(document)

    def _stored(self, session_id: str) -> SessionDocument:
        """The document as written (a running one's ``frames`` not filled in)."""
        return SessionDocument.model_validate(self._read_document(session_id))

    def document(self, session_id: str) -> SessionDocument:
        """The session document; while running, ``frames`` holds the batches described so far."""
        document = self._stored(session_id)
        if document.status == SessionStatus.RUNNING.value:
            document = document.model_copy(update={"frames": self.moments(session_id)})
        return document

    def get(self, session_id: str) -> dict[str, Any]:
        """The session document as JSON (see ``document``): for the clip and contact-sheet
        library (``video``), which reads a document's video path and frame images as JSON."""
        return self.document(session_id).as_json()

    def moments(self, session_id: str) -> list[Moment]:
        """Every described frame so far, one per frame index, ordered by time."""
        by_index: dict[int | None, Moment] = {}
        for path in sorted((self.session_dir(session_id) / "batches").glob("*.json")):
            for frame in read_json(path):
                moment = Moment.model_validate(frame)
                by_index[moment.index] = moment
        return sorted(by_index.values(), key=lambda m: (m.timestamp_s or 0.0, m.index or 0))

    def list_sessions(self) -> list[SessionListing]:
        """Summaries of every session (no frames, only their count), newest first.

        A running session's count is of the frames described so far.
        """
        if not self.root.is_dir():
            return []
        summaries = []
        for path in self.root.glob("*/session.json"):
            try:
                summaries.append(self._summary(SessionDocument.model_validate(read_json(path))))
            except FileNotFoundError:  # deleted meanwhile
                continue
        return sorted(summaries, key=lambda s: s.created_at, reverse=True)

    def _summary(self, document: SessionDocument) -> SessionListing:
        if document.status == SessionStatus.RUNNING.value:
            # Sessions are few and batch files small, so reading them here stays cheap.
            return SessionListing.of(document, len(self.moments(document.session_id)))
        return SessionListing.of(document)

    def update(self, session_id: str, **fields: object) -> SessionDocument:
        """Set top-level ``fields`` of the stored document (typed values or their JSON).

        The result is validated before it is written (``pydantic.ValidationError``), so a bad
        field never reaches readers.
        """
        merged = self._stored(session_id).as_json()
        merged.update({name: _as_json(value) for name, value in fields.items()})
        merged["updated_at"] = now_iso()
        document = SessionDocument.model_validate(merged)
        self._write_document(session_id, document)
        return document

    def write_batch(self, session_id: str, batch_id: str, frames: Sequence[Moment]) -> None:
        """Store one batch's described frames; writing the same batch again replaces it."""
        checked = self._write_items(session_id, "batches", batch_id, Moment, frames)
        if self.hook is not None:
            self.hook.batch_written(session_id, checked)

    def _write_items(
        self, session_id: str, folder: str, name: str, model: type[R], items: Sequence[R]
    ) -> list[R]:
        """Write ``items`` as ``<folder>/<name>.json`` of a session, atomically; returns them
        validated again (one built with ``model_construct`` or as JSON is checked here)."""
        if not _BATCH_ID.match(name):
            raise ValueError(f"invalid file name {name!r} in {folder}/")
        checked = [model.model_validate(_as_json(item)) for item in items]
        write_json_atomic(
            self._folder_of(session_id, folder) / f"{name}.json",
            [item.as_json() for item in checked],
        )
        return checked

    def _folder_of(self, session_id: str, name: str) -> Path:
        """A folder of an existing session; never recreates a session deleted meanwhile."""
        folder = self.session_dir(session_id) / name
        try:
            with raising_out_of_space(folder):
                folder.mkdir(exist_ok=True)  # no parents: fails when the session is gone
        except FileNotFoundError as err:
            raise self.not_found(session_id) from err
        return folder

    def write_speech_range(
        self, session_id: str, range_id: str, segments: Sequence[SpeechSegment]
    ) -> None:
        """Store one audio range's speech segments; writing a range again replaces it."""
        checked = self._write_items(session_id, "speech", range_id, SpeechSegment, segments)
        if self.hook is not None:
            self.hook.speech_written(session_id, checked)

    def speech_segments(self, session_id: str) -> list[SpeechSegment]:
        """Every stored speech segment, ordered by time."""
        segments = [
            SpeechSegment.model_validate(segment)
            for path in sorted((self.session_dir(session_id) / "speech").glob("*.json"))
            for segment in read_json(path)
        ]
        return sorted(segments, key=lambda s: (s.start_s, s.end_s))

    def finish(self, session_id: str, status: SessionStatus, **fields: object) -> SessionDocument:
        """Move a session to a final status and remove its scratch files."""
        shutil.rmtree(self.temp_dir(session_id), ignore_errors=True)
        return self.update(session_id, status=status.value, finished_at=now_iso(), **fields)

    def remove_partial_files(self, session_id: str) -> None:
        """Remove what a run wrote before it failed: frames, batches, speech, scratch files.

        The session document (with its reason) and the video stay.
        """
        directory = self.session_dir(session_id)
        for name in _PARTIAL_DIRS:
            shutil.rmtree(directory / name, ignore_errors=True)

    def fail(self, session_id: str, reason: str) -> SessionDocument:
        """Mark a session failed with ``reason``, after removing its partial files.

        The files go first: on a full disk they are what makes room for the document.
        """
        self.remove_partial_files(session_id)
        return self.finish(session_id, SessionStatus.FAILED, error=reason, frames=[])
