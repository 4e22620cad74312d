"""``videolens reindex``: the library index rebuilt from the stores, the source of truth."""

from __future__ import annotations

from dataclasses import dataclass

from videolens.errors import SessionNotFoundError
from videolens.library.index import LibraryIndex
from videolens.library.rows import (
    frame_row,
    iso_of,
    session_rows,
    session_video,
    stream_speech_rows,
    stream_video,
)
from videolens.store import SessionStore
from videolens.streams.errors import StreamNotFoundError
from videolens.streams.store import StreamStore


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild indexed."""

    sessions: int
    streams: int
    moments: int


def index_session(index: LibraryIndex, store: SessionStore, session_id: str) -> int:
    """Index one session as the store has it now; returns its rows."""
    document = store.document(session_id)  # a running one's frames: its batches so far
    speech = (document.speech.segments if document.speech else None) or store.speech_segments(
        session_id
    )
    rows = session_rows(document, document.frames, speech)
    index.replace_video(session_video(document), rows)
    return len(rows)


def index_stream(index: LibraryIndex, store: StreamStore, stream_id: str) -> int:
    """Index one stream's retained frames and speech; returns its rows."""
    document = store.document(stream_id)
    rows = [frame_row(stream_id, m, iso_of(m.at or 0.0)) for m in store.moments(stream_id)]
    rows += stream_speech_rows(stream_id, store.speech(stream_id))
    index.replace_video(stream_video(document), rows)
    return len(rows)


def rebuild(index: LibraryIndex, sessions: SessionStore, streams: StreamStore) -> Rebuilt:
    """Forget the index and fill it again from every session and stream."""
    index.clear()
    return _index_stored(index, sessions, streams, known=set())


def backfill(index: LibraryIndex, sessions: SessionStore, streams: StreamStore) -> Rebuilt:
    """Index the stored sessions and streams the index has no listing of (made before the
    index, or before it kept listings); never removes anything, so a process that sees no
    stores (a migration job) leaves the index as it is."""
    return _index_stored(index, sessions, streams, known=index.listed_ids())


def _index_stored(
    index: LibraryIndex, sessions: SessionStore, streams: StreamStore, known: set[str]
) -> Rebuilt:
    counts = [0, 0, 0]
    for listing in sessions.list_sessions():
        if listing.session_id in known:
            continue
        try:
            counts[2] += index_session(index, sessions, listing.session_id)
            counts[0] += 1
        except SessionNotFoundError:  # deleted meanwhile
            continue
    for document in streams.list_streams():
        if document.stream_id in known:
            continue
        try:
            counts[2] += index_stream(index, streams, document.stream_id)
            counts[1] += 1
        except StreamNotFoundError:
            continue
    return Rebuilt(*counts)
