"""Listings of sessions and of streams, read from the library index.

Each video's entry is the store's own (a session's ``SessionListing``, a stream's document), kept
in the index as it is written, so a listing reads no folder. The stores stay the source of
truth: when the index cannot answer (its database down, or not upgraded), a listing walks the
folders as it did before the index, with the same filters, and logs one warning; a video the
index lists whose folder is gone (removed by a process whose store has no hook) is left out,
and forgotten by the index.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from videolens.config import Settings
from videolens.library.errors import index_errors
from videolens.library.index import LibraryIndex
from videolens.library.opening import open_index
from videolens.library.query_words import words_of
from videolens.library.records import LOCAL_OWNER, LibraryFilter, Listed
from videolens.library.rows import LISTED_LABELS_KEY, frame_labels, labels_of, most_seen
from videolens.store import SessionListing, SessionStore
from videolens.streams.store import StreamStore
from videolens.timeline.model import Moment, StreamDocument

logger = logging.getLogger(__name__)
_Entry = TypeVar("_Entry", SessionListing, StreamDocument)
UNREACHABLE = ("the library index cannot list (%s): listing the folders instead; "
               "`videolens reindex` repairs the index once it is back")  # fmt: skip
# "until" takes in the whole of a day or instant it names, as the index's filter does.
_UNTIL_END = "~"
_IDS_AT_ONCE = 500  # videos whose labels one statement reads (a database's parameter limit)


@dataclass(frozen=True)
class Listing(Generic[_Entry]):
    """One page of entries, newest first, and how many the filter chose in all."""

    entries: list[_Entry]
    total: int
    from_index: bool = True
    # Each listed video's detected labels, seen in most frames first (``rows.most_seen``).
    labels: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Asked:
    """What a listing asks for: the chosen videos, and one page of them (``limit`` None: all)."""

    chosen: LibraryFilter = field(default_factory=LibraryFilter)
    limit: int | None = None
    offset: int = 0


def session_listing(
    index: LibraryIndex | None, store: SessionStore, asked: Asked
) -> Listing[SessionListing]:
    """The chosen sessions (``chosen.source`` is ignored: a session is a file)."""

    def entry(listed: Listed) -> SessionListing:
        shown = json.loads(listed.listing)
        shown.pop(LISTED_LABELS_KEY, None)  # the listing's ``labels``, not the entry's
        found = SessionListing.model_validate(shown)
        if listed.frames_so_far is None:
            return found
        return found.model_copy(update={"frames": listed.frames_so_far})

    def labels(session_id: str) -> Iterable[Moment]:
        return store.document(session_id).frames

    return _listing(
        index, replace(asked, chosen=replace(asked.chosen, source="file")),
        entry=entry,
        exists=store.exists,
        walk=lambda: [(s.session_id, s.owner, s) for s in store.list_sessions()],
        moments=labels,
    )  # fmt: skip


def stored_session_listing(settings: Settings, asked: Asked) -> Listing[SessionListing]:
    """``session_listing`` for a process that holds no index (the CLI): the configured one,
    opened for this listing; the folders when it cannot be opened."""
    store = SessionStore(settings.sessions_dir)
    try:
        index = open_index(settings)
    except index_errors() as err:
        logger.warning(UNREACHABLE, err)
        return session_listing(None, store, asked)
    with index:
        return session_listing(index, store, asked)


def stream_listing(
    index: LibraryIndex | None, store: StreamStore, asked: Asked
) -> Listing[StreamDocument]:
    """The chosen streams."""
    return _listing(
        index, replace(asked, chosen=replace(asked.chosen, source="stream")),
        entry=lambda listed: StreamDocument.model_validate_json(listed.listing),
        exists=store.exists,
        walk=lambda: [(d.stream_id, d.owner, d) for d in store.list_streams()],
        moments=store.moments,
    )  # fmt: skip


def _listing(
    index: LibraryIndex | None,
    asked: Asked,
    *,
    entry: Callable[[Listed], _Entry],
    exists: Callable[[str], bool],
    walk: Callable[[], list[tuple[str, str | None, _Entry]]],
    moments: Callable[[str], Iterable[Moment]],
) -> Listing[_Entry]:
    chosen, limit, offset = asked.chosen, asked.limit, asked.offset
    if index is not None:
        try:
            listed, total = index.listings(chosen, limit=limit, offset=offset)
            gone = [item.video_id for item in listed if not exists(item.video_id)]
            for video_id in gone:
                index.remove_video(video_id)
            kept = [item for item in listed if item.video_id not in gone]
            labels = video_labels(index, kept)
            return Listing([entry(item) for item in kept], total - len(gone), labels=labels)
        except index_errors() as err:
            logger.warning(UNREACHABLE, err)
    chosen_entries = [
        (video_id, found) for video_id, owner, found in walk()
        if _chosen(chosen, video_id, owner or LOCAL_OWNER, found, moments)
    ]  # fmt: skip
    end = None if limit is None else offset + limit
    page = chosen_entries[offset:end]
    labels = {video_id: frame_labels(moments(video_id)) for video_id, _ in page}
    return Listing([found for _, found in page], len(chosen_entries), from_index=False,
                   labels=labels)  # fmt: skip


def video_labels(index: LibraryIndex, listed: Sequence[Listed]) -> dict[str, list[str]]:
    """Each listed video's detected labels: an ended session's as its entry keeps them (counted
    from its frames when it ended, or by a reindex), the others' (a running session, a stream,
    a session indexed before entries kept them) counted from their indexed frames now."""
    labels: dict[str, list[str]] = {}
    for item in listed:
        kept = json.loads(item.listing).get(LISTED_LABELS_KEY) if item.listing else None
        if kept is not None:
            labels[item.video_id] = kept
    counted: dict[str, list[tuple[str, int]]] = {
        item.video_id: [] for item in listed if item.video_id not in labels
    }
    ids = list(counted)
    for start in range(0, len(ids), _IDS_AT_ONCE):
        chosen = LibraryFilter(video_ids=tuple(ids[start : start + _IDS_AT_ONCE]))
        for video_id, seen, frames, _ in index.frames_seen(chosen):
            counted[video_id].append((seen, frames))
    return {**labels, **{video_id: most_seen(seen) for video_id, seen in counted.items()}}


def labels_of_videos(index: LibraryIndex, video_ids: Sequence[str]) -> dict[str, list[str]]:
    """``video_labels`` of these videos (a page of ``LibraryIndex.videos``)."""
    listed, _ = index.listings(LibraryFilter(video_ids=tuple(video_ids))) if video_ids else ([], 0)
    return {video_id: [] for video_id in video_ids} | video_labels(index, listed)


def _chosen(
    chosen: LibraryFilter,
    video_id: str,
    owner: str,
    found: SessionListing | StreamDocument,
    moments: Callable[[str], Iterable[Moment]],
) -> bool:
    """What the index's filter (``index._video_filter``) says of one video, from its store."""
    if chosen.owner is not None and owner != chosen.owner:
        return False
    if chosen.video_ids and video_id not in chosen.video_ids:
        return False
    if chosen.status is not None and found.status != chosen.status:
        return False
    if chosen.since and found.created_at < chosen.since:
        return False
    if chosen.until and found.created_at >= chosen.until + _UNTIL_END:
        return False
    if chosen.label:
        seen = {word for m in moments(video_id) for word in words_of(labels_of(m))}
        return all(word in seen for word in words_of(chosen.label))
    return True
