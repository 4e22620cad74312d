"""Search within a session and across sessions."""

from __future__ import annotations

from timeline_factory import make_document

from videolens.chat.search import search_session, search_sessions


def test_search_one_session_ranks_the_matching_moments() -> None:
    hits = search_session(make_document(), "harbour boats", limit=5)
    assert hits and "harbour" in hits[0].description and "boats" in hits[0].description
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].timestamp == "00:36" and hits[0].session_id == "abcdefabcdef"  # ties: earliest
    assert search_session(make_document(), "zebra", limit=5) == []


def test_search_across_sessions() -> None:
    city = make_document("aaaaaaaaaaaa")
    other = make_document("bbbbbbbbbbbb")
    for frame in other["frames"]:
        frame["description"], frame["text"] = "an empty field", []
    other["frames"][7]["text"] = ["BAKERY"]
    hits = search_sessions([city, other], "bakery", limit=10)
    assert {h.session_id for h in hits} == {"aaaaaaaaaaaa", "bbbbbbbbbbbb"}
    assert len(hits) == 3 and hits[0].score >= hits[-1].score
    assert len(search_sessions([city, other], "bakery", limit=1)) == 1
