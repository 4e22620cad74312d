"""One ranking over the whole library, on real SQLite and real PostgreSQL: a rare word the user
asked for outweighs a common one on both, and the best match is found however many newer,
weaker matches there are."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from videolens.library import LibraryFilter, LibraryIndex
from videolens.library.index import RANKED_ALL
from videolens.library.postgres_index import PostgresIndex
from videolens.library.records import LibraryMoment, LibraryVideo
from videolens.library.sqlite_index import SqliteIndex

EVERYONE = LibraryFilter()


def _add(index: LibraryIndex, video_id: str, day: int, moments: Sequence[tuple[str, str]]) -> None:
    """A video of ``day`` (of December) whose moments have these (labels, description)."""
    added = f"2026-12-{day:02d}T10:00:00+00:00"
    video = LibraryVideo(video_id, "file", f"{video_id}.mp4", "alice", "completed", added)
    index.replace_video(video, [
        LibraryMoment(video_id, "frame", i, i * 2.0, added, description=description, labels=labels)
        for i, (labels, description) in enumerate(moments)
    ])  # fmt: skip


def _top(index: LibraryIndex, query: str) -> tuple[str, float]:
    hit = index.search(query, EVERYONE, limit=5)[0]
    return hit.video.video_id, hit.moment.at_s


@pytest.fixture
def both(tmp_path: Path, postgres_url: str) -> Iterator[list[LibraryIndex]]:
    """The embedded and the shared index, migrated, empty."""
    embedded, shared = SqliteIndex(tmp_path / "library.sqlite"), PostgresIndex(postgres_url)
    with embedded, shared:
        embedded.upgrade()
        shared.upgrade()
        yield [embedded, shared]


def test_a_rare_word_outweighs_a_common_one_on_both_databases(both: list[LibraryIndex]) -> None:
    # "white" is in nearly every moment, twice in the labels and once in the description;
    # the one van has "van" once and "white" not at all; "red" is in one description only,
    # beside a bicycle, while bicycles are everywhere (twice in their labels).
    common = [("white car, white person", "A white car passes a white house")] * 6
    bicycles = [("bicycle, white bicycle", "A bicycle leans on a bicycle stand")] * 6
    for index in both:
        for n in range(8):
            _add(index, f"common{n:06d}", 1 + n, common + bicycles)
        _add(index, "vanvideo0001", 1, [("van", "a yard")])
        _add(index, "redvideo0001", 2, [("bicycle", "a red bicycle by the gate")])
        index.refresh_statistics()

    for index in both:
        assert _top(index, "white van") == ("vanvideo0001", 0.0), type(index).__name__
        assert _top(index, "red bicycle") == ("redvideo0001", 0.0), type(index).__name__
        assert _top(index, "white") == _top(both[0], "white")  # the same on both
        hits = index.search("white van", EVERYONE, limit=20)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_the_best_match_is_found_behind_thousands_of_newer_weaker_ones(
    index: LibraryIndex,
) -> None:
    # The best van is the oldest moment; then 2,100 newer ones, each a weaker van (in the
    # description only): all of them are scored (a search once scored the newest 2,000).
    _add(index, "oldvideo0001", 1, [("white van", "a red van parks by another van")])
    for n in range(7):
        _add(index, f"newer{n:07d}", 2 + n, [("white person", "a van far away")] * 300)
    assert _top(index, "van") == ("oldvideo0001", 0.0)
    # Every moment is white: "white red van" now matches more moments than a search scores
    # all of, and its rarest word, "red", narrows them to those worth scoring.
    for n in range(RANKED_ALL // 300 + 1):
        _add(index, f"white{n:07d}", 9 + n % 20, [("white person", "a white wall")] * 300)
    index.refresh_statistics()

    assert index.size()[1] > RANKED_ALL + 2100
    assert _top(index, "white red van") == ("oldvideo0001", 0.0)
    assert _top(index, "van white red") == ("oldvideo0001", 0.0)
