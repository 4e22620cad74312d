"""Session and stream listings read from the library index (real SQLite and real PostgreSQL):
the same entries as the folder walk, filtered and paged by the index; the folders again when
the index cannot answer; sessions made before the index listed from its first start."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import psycopg
import pytest
from library_factory import finished_session, frame, live_stream

from polling import poll
from process_helpers import VIDEOLENS, run_on, running, videolens_env
from videolens.config import Settings
from videolens.library import LibraryFilter, LibraryIndex, connect_index
from videolens.library.errors import index_errors
from videolens.library.indexing import indexed_session_store, indexed_stream_store
from videolens.library.listings import (
    Asked,
    session_listing,
    stored_session_listing,
    stream_listing,
)
from videolens.library.opening import library_file, upgrade_index
from videolens.library.records import Listed
from videolens.library.reindex import rebuild
from videolens.pipeline.temporal_server import free_port
from videolens.store import SessionStore
from videolens.streams.store import StreamStore
from videolens.video.synthetic import Shot, write_clip

EVERYONE = LibraryFilter()


def _ids(entries: list[object], field: str = "session_id") -> list[str]:
    return [getattr(entry, field) for entry in entries]


def _three_sessions(sessions: SessionStore) -> dict[str, str]:
    """alice: a finished session with a car (2026-03-01) and a running one of two frames so far
    (2026-03-02); bob: a finished one with a person (2026-03-03)."""
    car = finished_session(sessions, "car.mp4", "alice", [frame(0, 0.0, ("car",), "red")])
    person = finished_session(sessions, "door.mp4", "bob", [frame(0, 0.0, ("person",))])
    running = sessions.create("/videos/walk.mp4", {}).session_id
    sessions.update(running, owner="alice", filename="walk.mp4")
    sessions.write_batch(running, "b0", [frame(0, 0.0), frame(1, 1.0)])
    made = {car.session_id: "2026-03-01T10:00:00", running: "2026-03-02T10:00:00",
            person.session_id: "2026-03-03T10:00:00"}  # fmt: skip
    for session_id, created_at in made.items():
        sessions.update(session_id, created_at=created_at)
    return {"car": car.session_id, "running": running, "person": person.session_id}


def test_session_listings_come_from_the_index_as_the_folders_list_them(
    index: LibraryIndex, sessions: SessionStore
) -> None:
    made = _three_sessions(sessions)
    walked = sessions.list_sessions()
    listed = session_listing(index, sessions, Asked(EVERYONE))
    assert listed.from_index and listed.total == 3
    # The very entries the folder walk makes, running frames counted so far included.
    assert [e.as_json() for e in listed.entries] == [s.as_json() for s in walked]
    assert next(e for e in listed.entries if e.session_id == made["running"]).frames == 2

    def chosen(**asked: object) -> list[str]:
        return _ids(session_listing(index, sessions, Asked(LibraryFilter(**asked))).entries)  # type: ignore[arg-type]

    assert chosen(owner="alice") == [made["running"], made["car"]]
    assert chosen(owner="bob") == [made["person"]]
    assert chosen(status="running") == [made["running"]]
    assert chosen(label="car") == [made["car"]]
    assert chosen(since="2026-03-02", until="2026-03-02") == [made["running"]]
    page = session_listing(index, sessions, Asked(EVERYONE, limit=1, offset=1))
    assert _ids(page.entries) == [made["running"]] and page.total == 3


def test_a_session_whose_folder_is_gone_is_left_out_and_forgotten(
    index: LibraryIndex, sessions: SessionStore, library_settings: Settings
) -> None:
    made = _three_sessions(sessions)
    SessionStore(library_settings.sessions_dir).delete(made["car"])  # a store with no hook
    listed = session_listing(index, sessions, Asked(EVERYONE))
    assert made["car"] not in _ids(listed.entries) and listed.total == 2
    assert index.video(made["car"]) is None


def test_stream_listings_come_from_the_index(
    index: LibraryIndex, library_settings: Settings
) -> None:
    streams = indexed_stream_store(library_settings, index)
    door = live_stream(streams, "door", "alice", 1_780_000_000.0)
    yard = live_stream(streams, "yard", "bob", 1_780_000_100.0)
    listed = stream_listing(index, streams, Asked(EVERYONE))
    walked = {d.stream_id: d.as_json() for d in streams.list_streams()}  # made in one second:
    assert {e.stream_id: e.as_json() for e in listed.entries} == walked  # in either order
    mine = stream_listing(index, streams, Asked(LibraryFilter(owner="bob")))
    assert _ids(mine.entries, "stream_id") == [yard] and mine.total == 1
    seen = stream_listing(index, streams, Asked(LibraryFilter(label="person", owner="alice")))
    assert _ids(seen.entries, "stream_id") == [door]


def test_an_index_that_cannot_answer_lists_the_folders_with_one_warning(
    index: LibraryIndex, sessions: SessionStore, caplog: pytest.LogCaptureFixture
) -> None:
    made = _three_sessions(sessions)
    asked = [EVERYONE, LibraryFilter(owner="alice", status="completed"), LibraryFilter(label="car")]
    from_index = [session_listing(index, sessions, Asked(chosen)) for chosen in asked]
    index.close()  # every statement now fails, as with a database that went away
    with caplog.at_level(logging.WARNING, logger="videolens.library.listings"):
        walked = [session_listing(index, sessions, Asked(chosen)) for chosen in asked]
    assert [w.entries for w in walked] == [i.entries for i in from_index]
    assert [w.total for w in walked] == [3, 1, 1]
    assert not any(w.from_index for w in walked)
    assert _ids(walked[1].entries) == [made["car"]]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == len(asked) and "videolens reindex" in warnings[0].getMessage()


def test_sessions_made_before_the_index_are_listed_from_its_first_start(
    library_settings: Settings,
) -> None:
    before = SessionStore(library_settings.sessions_dir)  # no index yet: no hook
    made = finished_session(before, "old.mp4", "alice", [frame(0, 0.0, ("dog",))]).session_id
    if library_settings.database_url is not None:
        with connect_index(library_settings) as index:
            upgrade_index(index, library_settings)  # `videolens db upgrade`
    listed = stored_session_listing(library_settings, Asked())  # SQLite: its first open
    assert listed.from_index and _ids(listed.entries) == [made]
    with connect_index(library_settings) as index:
        assert index.matches("dog", EVERYONE)[0].video.video_id == made


def test_a_dropped_database_connection_is_made_again_at_the_next_listing(
    postgres_server: str, postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=postgres_url)  # type: ignore[call-arg]
    with connect_index(settings) as index:
        index.upgrade()
        sessions = indexed_session_store(settings, index)
        made = _three_sessions(sessions)
        assert session_listing(index, sessions, Asked(EVERYONE)).from_index
        (backend,) = index._read("SELECT pg_backend_pid()")
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", backend)
        dropped = session_listing(index, sessions, Asked(EVERYONE))  # finds out: the folders
        again = session_listing(index, sessions, Asked(EVERYONE))
    assert not dropped.from_index and "library index cannot list" in caplog.text
    assert again.from_index and set(_ids(again.entries)) == set(made.values())


def test_each_listed_video_has_the_labels_seen_in_most_frames_from_index_folders_and_reindex(
    index: LibraryIndex, sessions: SessionStore, library_settings: Settings
) -> None:
    frames = [frame(0, 0.0, ("car", "person"), "white"), frame(1, 1.0, ("car", "person"), "red"),
              frame(2, 2.0, ("car", "dog", "bus", "bicycle", "truck", "zebra"))]  # fmt: skip
    street = finished_session(sessions, "street.mp4", "alice", frames).session_id
    running = sessions.create("/videos/yard.mp4", {}).session_id
    sessions.write_batch(running, "b0", [frame(0, 0.0, ("cat",))])  # shown as batches land
    empty = finished_session(sessions, "dark.mp4", "alice", [frame(0, 0.0)]).session_id
    # Three frames of cars (a white and a red one are cars), then a person (two frames count
    # more than one, whatever their colour), then the rest by name: five at most.
    expected = {street: ["car", "person", "bicycle", "bus", "dog"], running: ["cat"], empty: []}
    listed = session_listing(index, sessions, Asked(EVERYONE))
    assert listed.from_index and listed.labels == expected
    # An ended session's are kept with its entry (a listing reads no frames for it); a running
    # one's are counted from the frames indexed so far.
    kept = {item.video_id: json.loads(item.listing).get("labels")
            for item in index.listings(EVERYONE)[0]}  # fmt: skip
    assert kept == {street: expected[street], running: None, empty: []}
    walked = session_listing(None, sessions, Asked(EVERYONE))
    assert not walked.from_index and walked.labels == expected
    rebuild(
        index,
        SessionStore(library_settings.sessions_dir),
        StreamStore(library_settings.streams_dir),
    )
    assert session_listing(index, sessions, Asked(EVERYONE)).labels == expected
    assert session_listing(index, sessions, Asked(LibraryFilter(label="car"))).labels == {
        street: expected[street]
    }
    streams = indexed_stream_store(library_settings, index)
    door = live_stream(streams, "door", "alice", 1_780_000_000.0)
    assert stream_listing(index, streams, Asked(EVERYONE)).labels == {door: ["person", "van"]}
    assert stream_listing(None, streams, Asked(EVERYONE)).labels == {door: ["person", "van"]}


def _first_listed(settings: Settings) -> Listed | None:
    """The first video the embedded index lists, once it has one."""
    if not library_file(settings).exists():
        return None
    try:
        with connect_index(settings) as index:
            listed, _ = index.listings(EVERYONE)
    except index_errors():  # not made yet by the process that opens it first
        return None
    return listed[0] if listed else None


@pytest.mark.timeout(600)
def test_a_session_made_by_the_cli_is_indexed_when_it_is_created(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    clip = write_clip(tmp_path / "quay.mp4", [Shot(2.0, (30, 120, 200), "HARBOR")]).path
    # No workflow ever runs (Temporal does not answer): only the CLI writes the session.
    alone = run_on(["analyze", str(clip)], settings.data_dir,
                   VIDEOLENS_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}")  # fmt: skip
    assert alone.returncode != 0 and "nothing was analysed" in alone.stderr, alone.stderr
    (made,) = SessionStore(settings.sessions_dir).list_sessions()
    with connect_index(settings) as index:
        video = index.video(made.session_id)
    assert video is not None and video.status == "failed"

    # Listed as running before its first frame is described, then completed.
    settings = settings.model_copy(update={"data_dir": tmp_path / "analysed"})
    env = videolens_env(VIDEOLENS_DATA_DIR=str(settings.data_dir),
                        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()))  # fmt: skip
    with running([VIDEOLENS, "analyze", str(clip), "--json"], env) as analysis:
        first = poll(lambda: _first_listed(settings), 120, "the session in the index")
        stdout, stderr = analysis.communicate(timeout=300)
    assert analysis.returncode == 0, stderr
    document = json.loads(stdout)
    assert first.video_id == document["session_id"]
    assert json.loads(first.listing)["status"] == "running" and first.frames_so_far == 0
    with connect_index(settings) as index:
        video = index.video(document["session_id"])
    assert video is not None and video.status == "completed"
