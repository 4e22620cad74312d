"""The library index against real SQLite and real PostgreSQL: sessions indexed as their batches
land, removed with them, rebuilt the same from the stores; listings, search and questions that
see only the asker's videos."""

from __future__ import annotations

import pytest
from library_factory import finished_session, frame, live_stream, stream_frame

from openai_fake import OpenAIFake
from videolens.config import Settings
from videolens.library import LibraryError, LibraryFilter, LibraryIndex, open_index
from videolens.library.citations import check_citations
from videolens.library.questions import answer_question
from videolens.library.records import LibraryMoment, LibraryVideo
from videolens.library.reindex import rebuild
from videolens.store import SessionStore
from videolens.store.sessions import SessionStatus
from videolens.streams.retention import prune
from videolens.streams.store import StreamStore
from videolens.timeline.model import Speech, SpeechSegment, Track

EVERYONE = LibraryFilter()


def _found(
    index: LibraryIndex, query: str, chosen: LibraryFilter = EVERYONE
) -> list[tuple[str, str, float]]:
    return [(h.video.video_id, h.moment.kind, h.moment.at_s) for h in index.search(query, chosen)]


def test_a_session_is_indexed_as_its_batches_land_and_removed_with_it(
    index: LibraryIndex, sessions: SessionStore
) -> None:
    session_id = sessions.create("/videos/cam1.mp4", {}).session_id
    sessions.update(session_id, owner="alice", filename="cam1.mp4")
    sessions.write_batch(
        session_id, "b0", [frame(0, 1.0, ("car",), "white"), frame(1, 3.0, ("person",))]
    )

    running = index.video(session_id)
    assert running is not None and (running.status, running.title, running.owner) == (
        "running",
        "cam1.mp4",
        "alice",
    )
    assert _found(index, "white car") == [(session_id, "frame", 1.0)]
    sessions.write_batch(session_id, "b1", [frame(2, 5.0, ("car",), "white")])
    assert sorted(_found(index, "white car")) == [
        (session_id, "frame", 1.0),
        (session_id, "frame", 5.0),
    ]
    said = [SpeechSegment(start_s=2.0, end_s=4.0, text="the delivery van is leaving")]
    sessions.write_speech_range(session_id, "r0", said)
    assert _found(index, "delivery") == [(session_id, "speech", 2.0)]

    track = Track(track_id=7, label="car", colour="white", first_s=1.0, last_s=5.0,
                  entered="left", exited="right", direction="left to right")  # fmt: skip
    sessions.finish(session_id, SessionStatus.COMPLETED, frames=sessions.moments(session_id),
                    speech=Speech(status="ok", segments=said), tracks=[track])  # fmt: skip
    assert index.video(session_id).status == "completed"  # type: ignore[union-attr]
    assert _found(index, "exited right")[0] == (session_id, "track", 1.0)
    assert index.size() == (1, 5)  # three frames, one speech segment, one track
    assert index.videos(LibraryFilter(label="white")).total == 1

    sessions.delete(session_id)
    assert index.video(session_id) is None
    assert index.size() == (0, 0)
    assert _found(index, "white car") == []


def test_a_failed_session_keeps_no_moments_in_the_index(
    index: LibraryIndex, sessions: SessionStore
) -> None:
    session_id = sessions.create("/videos/broken.mp4", {}).session_id
    sessions.write_batch(session_id, "b0", [frame(0, 1.0, ("car",))])
    assert index.size() == (1, 1)
    sessions.fail(session_id, "the decoder gave up")
    assert index.size() == (1, 0)
    assert index.video(session_id).status == "failed"  # type: ignore[union-attr]


def test_stream_windows_are_indexed_as_they_land_and_removed_with_the_stream(
    index: LibraryIndex, streams: StreamStore
) -> None:
    stream_id = live_stream(streams, "shop door", "alice", 1_796_000_000.0)
    assert _found(index, "van") == [(stream_id, "frame", 1_796_000_002.0)]
    assert _found(index, "deliveries") == [(stream_id, "speech", 1_796_000_000.0)]
    assert index.videos(LibraryFilter(source="stream")).videos[0].title == "shop door"
    streams.delete(stream_id)
    assert index.size() == (0, 0)


def test_reindex_rebuilds_the_same_rows_from_the_stores(
    library_settings: Settings, index: LibraryIndex, sessions: SessionStore, streams: StreamStore
) -> None:
    finished_session(sessions, "cam1.mp4", "alice", [frame(0, 1.0, ("car",), "white")], "hello")
    finished_session(sessions, "cam2.mp4", "bob", [frame(0, 0.5, ("dog",)), frame(3, 2.5)])
    running = sessions.create("/videos/cam3.mp4", {}).session_id
    sessions.write_batch(running, "b0", [frame(0, 1.0, ("person",))])
    live_stream(streams, "door", "alice", 1_796_000_000.0)
    built_live = index.dump()
    assert index.size() == (4, 8)

    index.clear()
    assert index.size() == (0, 0)
    rebuilt = rebuild(index, SessionStore(library_settings.sessions_dir),
                      StreamStore(library_settings.streams_dir))  # fmt: skip
    assert (rebuilt.sessions, rebuilt.streams, rebuilt.moments) == (3, 1, 8)
    assert index.dump() == built_live


def _put(index: LibraryIndex, video_id: str, owner: str, day: str, kind: str, labels: str) -> None:
    title = f"{video_id}.mp4"
    index.put_video(LibraryVideo(video_id, kind, title, owner, "completed",  # type: ignore[arg-type]
                                 f"2026-12-{day}T10:00:00+00:00", title))  # fmt: skip
    moments = [LibraryMoment(video_id, "frame", i, i * 2.0, f"2026-12-{day}T10:00:00+00:00",
                             description="a yard", labels=labels) for i in range(3)]  # fmt: skip
    index.put_moments(video_id, moments)


def test_listings_filter_by_owner_date_source_and_label_and_page(index: LibraryIndex) -> None:
    _put(index, "aaaaaaaaaaa1", "alice", "01", "file", "white van")
    _put(index, "aaaaaaaaaaa2", "alice", "03", "stream", "person")
    _put(index, "aaaaaaaaaaa3", "alice", "05", "file", "dog")
    _put(index, "bbbbbbbbbbb1", "bob", "04", "file", "white van")

    def ids(**chosen: object) -> list[str]:
        return [v.video_id for v in index.videos(LibraryFilter(**chosen)).videos]  # type: ignore[arg-type]

    assert ids() == ["aaaaaaaaaaa3", "bbbbbbbbbbb1", "aaaaaaaaaaa2", "aaaaaaaaaaa1"]
    assert ids(owner="alice") == ["aaaaaaaaaaa3", "aaaaaaaaaaa2", "aaaaaaaaaaa1"]
    assert ids(owner="alice", since="2026-12-02", until="2026-12-03") == ["aaaaaaaaaaa2"]
    assert ids(source="stream") == ["aaaaaaaaaaa2"]
    assert ids(label="van") == ["bbbbbbbbbbb1", "aaaaaaaaaaa1"]
    assert ids(owner="bob", label="dog") == []
    first, second = (index.videos(EVERYONE, limit=3, offset=o) for o in (0, 3))
    assert (first.total, second.total) == (4, 4)
    assert [v.video_id for v in first.videos + second.videos] == ids()
    # Search filters the same way, by video, date and source.
    only = LibraryFilter(video_ids=("aaaaaaaaaaa1",))
    assert {h.video.video_id for h in index.search("van", only)} == {"aaaaaaaaaaa1"}
    assert {h.video.video_id for h in index.search("van", LibraryFilter(since="2026-12-02"))} == {
        "bbbbbbbbbbb1"
    }
    assert index.search("van", LibraryFilter(source="stream")) == []


def test_search_ranks_the_whole_library_with_one_scoring(index: LibraryIndex) -> None:
    # Five videos full of "person"; one moment of one of them also has a van. Scored over the
    # whole index at once, the moment that matches both words comes first, and the scores of
    # different videos are comparable (bm25's rarity weighting on SQLite; ts_rank on PostgreSQL).
    for n in range(5):
        _put(index, f"ccccccccccc{n}", "alice", "02", "file", "person")
    both = LibraryMoment("ccccccccccc3", "frame", 9, 20.0, "2026-12-02T10:00:00+00:00",
                         description="a yard", labels="person van")  # fmt: skip
    index.put_moments("ccccccccccc3", [both])
    hits = index.search("person van", EVERYONE, limit=20)
    assert (hits[0].video.video_id, hits[0].moment.at_s) == ("ccccccccccc3", 20.0)
    assert hits[0].score > hits[1].score
    assert len({h.video.video_id for h in hits}) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_another_owners_moments_never_appear(
    library_settings: Settings, index: LibraryIndex, sessions: SessionStore
) -> None:
    mine = finished_session(sessions, "yard.mp4", "alice", [frame(0, 4.0, ("van",), "white")])
    theirs = finished_session(sessions, "gate.mp4", "bob", [frame(0, 6.0, ("van",), "white")])
    alice = LibraryFilter(owner="alice")

    assert {h.video.video_id for h in index.search("white van", alice)} == {mine.session_id}
    assert [m.video.video_id for m in index.matches("white van", alice)] == [mine.session_id]
    answer = answer_question(
        library_settings, index, "In which videos does a white van appear?", alice
    )
    assert "gate.mp4" not in answer.answer
    assert [(c.video_id, c.valid) for c in answer.citations] == [(mine.session_id, True)]
    # Citing bob's moment does not make it alice's: it exists for nobody she can see.
    cited = check_citations(index, "[gate.mp4 @ 00:06] and [yard.mp4 @ 00:04]", alice)
    assert [c.valid for c in cited] == [False, True]
    assert theirs.session_id in {h.video.video_id for h in index.search("white van", EVERYONE)}


def test_questions_across_videos_count_and_find_the_last_time(
    library_settings: Settings, index: LibraryIndex, sessions: SessionStore
) -> None:
    vans = [frame(0, 1.0, ("van",), "white"), frame(1, 9.0, ("van",), "white")]
    first = finished_session(sessions, "monday.mp4", "alice", vans)
    finished_session(sessions, "tuesday.mp4", "alice", [frame(0, 2.0, ("dog",))])
    last = finished_session(sessions, "friday.mp4", "alice", [frame(0, 12.0, ("van",), "white")])
    chosen = LibraryFilter(owner="alice")

    often = answer_question(library_settings, index, "How often did a white van appear?", chosen)
    assert often.kind == "how_often" and often.mode == "offline"
    assert '"white van": 3 moments in 2 videos' in often.answer
    assert "monday.mp4: 2 moments" in often.answer and "tuesday.mp4" not in often.answer
    assert all(c.valid for c in often.citations) and len(often.citations) == 4

    latest = answer_question(
        library_settings, index, "When was the last time a white van came?", chosen
    )
    assert latest.kind == "last"
    assert [(c.video_id, c.at_s) for c in latest.citations] == [(last.session_id, 12.0)]

    which = answer_question(library_settings, index, "Which videos show a dog?", chosen)
    assert which.kind == "which" and "tuesday.mp4" in which.answer
    assert first.session_id not in {c.video_id for c in which.citations}
    none = answer_question(library_settings, index, "Which videos show a giraffe?", chosen)
    assert none.citations == [] and "No video" in none.answer


def test_a_shared_database_must_be_upgraded_before_use(postgres_url: str, tmp_path: object) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=postgres_url)  # type: ignore[call-arg]
    with pytest.raises(LibraryError, match="videolens db upgrade"):
        open_index(settings)


def test_an_unreachable_database_is_a_clear_error(tmp_path: object) -> None:
    url = "postgresql://postgres@127.0.0.1:1/none"
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=url)  # type: ignore[call-arg]
    with pytest.raises(LibraryError, match="cannot reach the library database"):
        open_index(settings)


def test_a_new_owner_carries_the_moments_already_indexed(
    index: LibraryIndex, sessions: SessionStore
) -> None:
    session_id = sessions.create("/videos/cam9.mp4", {}).session_id
    sessions.write_batch(session_id, "b0", [frame(0, 1.0, ("van",))])
    assert _found(index, "van", LibraryFilter(owner="local")) == [(session_id, "frame", 1.0)]
    sessions.update(session_id, owner="carol")
    assert _found(index, "van", LibraryFilter(owner="local")) == []
    assert _found(index, "van", LibraryFilter(owner="carol", source="file")) == [
        (session_id, "frame", 1.0)
    ]
    assert _found(index, "van", LibraryFilter(owner="carol", source="stream")) == []


def test_stream_retention_drops_the_frames_it_removed(
    library_settings: Settings, index: LibraryIndex, streams: StreamStore
) -> None:
    start = 1_796_000_000.0
    stream_id = live_stream(streams, "yard", "alice", start)
    later = [stream_frame(3, start + 60, ("van",)), stream_frame(4, start + 62, ("dog",))]
    streams.write_moments(stream_id, f"{int((start + 60) * 1000):013d}-{3:010d}", later)
    assert sorted(at for _, kind, at in _found(index, "van") if kind == "frame") == [
        start + 2,
        start + 60,
    ]

    prune(streams, stream_id, before_at=start + 61)
    assert sorted(at for _, kind, at in _found(index, "van") if kind == "frame") == [start + 60]
    kept = index.dump()
    rebuild(index, SessionStore(library_settings.sessions_dir),
            StreamStore(library_settings.streams_dir))  # fmt: skip
    assert index.dump() == kept


def test_with_a_chat_model_the_facts_are_its_context_and_its_citations_are_checked(
    library_settings: Settings, index: LibraryIndex, sessions: SessionStore, openai_fake: OpenAIFake
) -> None:
    yard = finished_session(sessions, "yard.mp4", "alice", [frame(0, 4.0, ("van",), "white")])
    finished_session(sessions, "gate.mp4", "bob", [frame(0, 6.0, ("van",), "white")])
    openai_fake.script(
        reply_text="A white van: [yard.mp4 @ 00:04], [gate.mp4 @ 00:06] and [yard.mp4 @ 00:09]."
    )
    settings = library_settings.model_copy(update={"chat_base_url": openai_fake.base_url})
    answer = answer_question(settings, index, "Which videos show a white van?",
                             LibraryFilter(owner="alice"))  # fmt: skip
    assert answer.mode == "llm" and answer.model == settings.chat_model
    assert [(c.text, c.valid, c.video_id) for c in answer.citations] == [
        ("yard.mp4 @ 00:04", True, yard.session_id),
        ("gate.mp4 @ 00:06", False, None),  # bob's: not a moment alice may see
        ("yard.mp4 @ 00:09", False, None),  # no such moment
    ]
    sent = openai_fake.requests("chat")[0]["json"]["messages"][1]["content"]
    assert "[yard.mp4 @ 00:04]" in sent and "gate.mp4" not in sent


def test_a_video_id_that_names_no_video_finds_nothing(
    index: LibraryIndex, sessions: SessionStore
) -> None:
    finished_session(sessions, "yard.mp4", "alice", [frame(0, 4.0, ("van",))])
    for odd in ('ab"c', "x OR y", "*", "UPPER"):
        assert index.search("van", LibraryFilter(video_ids=(odd,))) == []
