"""``videolens reindex``: the library index rebuilt from the stores, the source of truth."""

from __future__ import annotations

from collections.abc import Callable
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
    session_ids = [listing.session_id for listing in sessions.list_sessions()]
    stream_ids = [document.stream_id for document in streams.list_streams()]
    added_sessions, session_rows = _index_each(
        [i for i in session_ids if i not in known],
        lambda session_id: index_session(index, sessions, session_id), SessionNotFoundError,
    )  # fmt: skip
    added_streams, stream_rows = _index_each(
        [i for i in stream_ids if i not in known],
        lambda stream_id: index_stream(index, streams, stream_id), StreamNotFoundError,
    )  # fmt: skip
    if added_sessions or added_streams:
        index.refresh_statistics()
    return Rebuilt(added_sessions, added_streams, session_rows + stream_rows)


def _index_each(
    video_ids: list[str], index_one: Callable[[str], int], gone: type[Exception]
) -> tuple[int, int]:
    """(videos, rows) indexed by ``index_one`` of each id; one deleted meanwhile (``gone``) is
    passed over."""
    videos = rows = 0
    for video_id in video_ids:
        try:
            rows += index_one(video_id)
        except gone:
            continue
        videos += 1
    return videos, rows
