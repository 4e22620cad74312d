"""The store hooks that keep the library index in step with the session and stream stores.

The stores stay the source of truth: a write the index misses (its database down) is logged,
never fails the analysis, and ``videolens reindex`` repairs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from videolens.config import Settings
from videolens.library.errors import index_errors
from videolens.library.index import LibraryIndex
from videolens.library.opening import IndexConnection
from videolens.library.records import LibraryVideo
from videolens.library.rows import (
    frame_row,
    iso_of,
    session_rows,
    session_video,
    speech_rows,
    stream_speech_rows,
    stream_video,
)
from videolens.store import SessionStore
from videolens.streams.store import StreamStore
from videolens.timeline.model import (
    Moment,
    SessionDocument,
    SpeechSegment,
    StreamDocument,
    StreamSpeechSegment,
)

logger = logging.getLogger(__name__)
_Store = TypeVar("_Store", SessionStore, StreamStore)
FINAL = ("completed", "failed", "cancelled")


Given = LibraryIndex | IndexConnection | None  # a hook's index: opened, to open, or its own


class _Hook(Generic[_Store]):
    """A store's hook: opens the index at its first write (``IndexConnection``: again after
    a failure, every few seconds at most) and turns a database failure into a warning."""

    def __init__(self, settings: Settings, store: _Store, index: Given = None) -> None:
        self._store: _Store = store
        self._connection = (index if isinstance(index, IndexConnection)
                            else IndexConnection(settings, index))  # fmt: skip

    def close(self) -> None:
        """Close the index."""
        self._connection.close()

    @property
    def index(self) -> LibraryIndex:
        return self._connection.get()

    def _apply(self, what: str, write: Callable[[LibraryIndex], None]) -> None:
        try:
            write(self.index)
        except index_errors() as err:
            logger.warning("the library index missed %s (%s); `videolens reindex` repairs it",
                           what, err)  # fmt: skip


class SessionIndexing(_Hook[SessionStore]):
    """``SessionStore``'s hook: a session is indexed as its batches and speech land, and
    whole (frames, speech, tracks) when it ends."""

    def _video(self, index: LibraryIndex, session_id: str) -> LibraryVideo:
        """The session's entry, added from its document if the index has none yet."""
        found = index.video(session_id)
        if found is None:
            found = session_video(self._store.document(session_id))
            index.put_video(found)
        return found

    def document_written(self, document: SessionDocument) -> None:
        video = session_video(document)
        if document.status in FINAL:
            speech = document.speech.segments if document.speech else []
            rows = session_rows(document, document.frames, speech)
            self._apply(f"session {video.video_id}", lambda i: i.replace_video(video, rows))
        else:
            self._apply(f"session {video.video_id}", lambda i: i.put_video(video))

    def batch_written(self, session_id: str, moments: Sequence[Moment]) -> None:
        def write(index: LibraryIndex) -> None:
            video = self._video(index, session_id)
            rows = [frame_row(session_id, m, video.created_at) for m in moments]
            index.put_moments(session_id, rows)

        self._apply(f"a batch of session {session_id}", write)

    def speech_written(self, session_id: str, segments: Sequence[SpeechSegment]) -> None:
        def write(index: LibraryIndex) -> None:
            video = self._video(index, session_id)
            index.put_moments(session_id, speech_rows(session_id, segments, video.created_at))

        self._apply(f"speech of session {session_id}", write)

    def removed(self, session_id: str) -> None:
        self._apply(f"the removal of session {session_id}", lambda i: i.remove_video(session_id))


class StreamIndexing(_Hook[StreamStore]):
    """``StreamStore``'s hook: each window's frames and each transcription as they land."""

    def _known(self, index: LibraryIndex, stream_id: str) -> None:
        if index.video(stream_id) is None:
            index.put_video(stream_video(self._store.document(stream_id)))

    def document_written(self, document: StreamDocument) -> None:
        video = stream_video(document)
        self._apply(f"stream {video.video_id}", lambda i: i.put_video(video))

    def moments_written(self, stream_id: str, moments: Sequence[Moment]) -> None:
        rows = [frame_row(stream_id, m, iso_of(m.at or 0.0)) for m in moments]

        def write(index: LibraryIndex) -> None:
            self._known(index, stream_id)
            index.put_moments(stream_id, rows)

        self._apply(f"a window of stream {stream_id}", write)

    def speech_written(self, stream_id: str, segments: Sequence[StreamSpeechSegment]) -> None:
        rows = stream_speech_rows(stream_id, segments)

        def write(index: LibraryIndex) -> None:
            self._known(index, stream_id)
            index.put_moments(stream_id, rows)

        self._apply(f"speech of stream {stream_id}", write)

    def pruned(self, stream_id: str, kept_from_at: float) -> None:
        """Retention removed the stream's frames before ``kept_from_at``."""
        self._apply(f"retention of stream {stream_id}",
                    lambda i: i.remove_frames_before(stream_id, kept_from_at))  # fmt: skip

    def removed(self, stream_id: str) -> None:
        self._apply(f"the removal of stream {stream_id}", lambda i: i.remove_video(stream_id))


def indexed_session_store(
    settings: Settings, index: Given = None, root: Path | None = None
) -> SessionStore:
    """The session store whose writes reach the library index (opened at the first write when
    not given)."""
    store = SessionStore(root or settings.sessions_dir)
    store.hook = SessionIndexing(settings, store, index)
    return store


def indexed_stream_store(
    settings: Settings, index: Given = None, root: Path | None = None
) -> StreamStore:
    """The stream store whose writes reach the library index."""
    store = StreamStore(root or settings.streams_dir)
    store.hook = StreamIndexing(settings, store, index)
    return store
