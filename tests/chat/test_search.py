"""Search within a session and across sessions."""

from __future__ import annotations

import pytest
from timeline_factory import make_document, typed

from videolens.chat.search import search_session, search_sessions


def test_search_one_session_ranks_the_matching_moments() -> None:
    hits = search_session(typed(make_document()), "harbour boats", limit=5)
    assert hits and "harbour" in hits[0].description and "boats" in hits[0].description
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].timestamp == "00:36" and hits[0].session_id == "abcdefabcdef"  # ties: earliest
    assert search_session(typed(make_document()), "zebra", limit=5) == []


def test_search_across_sessions() -> None:
    city = make_document("aaaaaaaaaaaa")
    other = make_document("bbbbbbbbbbbb")
    for frame in other["frames"]:
        frame["description"], frame["text"] = "an empty field", []
    other["frames"][7]["text"] = ["BAKERY"]
    hits = search_sessions([typed(city), typed(other)], "bakery", limit=10)
    assert {h.session_id for h in hits} == {"aaaaaaaaaaaa", "bbbbbbbbbbbb"}
    assert len(hits) == 3 and hits[0].score >= hits[-1].score
    assert len(search_sessions([typed(city), typed(other)], "bakery", limit=1)) == 1


def test_face_ranks_the_frames_with_faces_first() -> None:
    from timeline_factory import make_street_document

    document = make_street_document()
    hits = search_session(typed(document), "face", limit=10)
    faces = {f["index"] for f in document["frames"] if f["face_count"]}
    assert {h.frame_index for h in hits[: len(faces)]} == faces
    # "no faces detected" in a description is not a face.
    assert all(h.frame_index in faces for h in hits)


@pytest.mark.parametrize("query", ["people", "person", "pedestrians", "someone walking"])
def test_people_ranks_the_frames_with_people(query: str) -> None:
    from timeline_factory import make_street_document

    document = make_street_document()
    by_index = {f["index"]: f for f in document["frames"]}
    hits = search_session(typed(document), query, limit=40)
    frame_hits = [h for h in hits if h.kind == "frame"]
    assert len(frame_hits) >= 20
    assert all(by_index[h.frame_index]["people_count"] > 0 for h in frame_hits)


def test_search_finds_what_is_said() -> None:
    from timeline_factory import make_street_document

    hits = search_session(typed(make_street_document()), "harbour bus", limit=5)
    assert hits[0].kind == "speech" and hits[0].timestamp == "01:01"
    assert hits[0].description == 'speech: "The bus to the harbour leaves at noon."'
    assert hits[0].end_s == 64.8 and hits[0].frame_index == 31  # the nearest analysed frame
    late = search_session(typed(make_street_document()), "thank you for watching", limit=1)[0]
    assert late.kind == "speech" and late.frame_index == 39 and late.image is not None
