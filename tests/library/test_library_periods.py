""""Summarize what the cameras saw yesterday" (and today, last week), answered offline from the
index on real SQLite and real PostgreSQL: the videos whose moments fall in those days, what
they showed with counts, each label cited at a moment that exists; never the best matches."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from library_factory import finished_session, frame, live_stream

from videolens.config import Settings
from videolens.library import LibraryFilter, LibraryIndex
from videolens.library.periods import asked_period
from videolens.library.questions import LibraryAnswer, answer_question
from videolens.store import SessionStore
from videolens.streams.store import StreamStore

NOON = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)  # "today" in these tests
TODAY = NOON.date()
DAY_S = 86_400.0
ALICE = LibraryFilter(owner="alice")


@pytest.fixture
def videos(sessions: SessionStore, streams: StreamStore) -> dict[str, str]:
    """alice: a stream with a person then a van yesterday, one with both today, one 5 days ago,
    a session added yesterday (a red car twice, then a person); bob: a session yesterday."""
    at = NOON.timestamp()
    made = {
        "door": live_stream(streams, "door", "alice", at - DAY_S),
        "yard": live_stream(streams, "yard", "alice", at),
        "gate": live_stream(streams, "gate", "alice", at - 5 * DAY_S),
    }
    car = [frame(0, 0.0, ("car",), "red"), frame(1, 4.0, ("car",), "red"),
           frame(2, 65.0, ("person",))]  # fmt: skip
    for name, owner, frames in (("car.mp4", "alice", car),
                                ("dog.mp4", "bob", [frame(0, 0.0, ("dog",))])):  # fmt: skip
        session_id = finished_session(sessions, name, owner, frames).session_id
        sessions.update(session_id, created_at="2026-03-09T08:00:00+00:00")
        made[name] = session_id
    return made


def _asked(settings: Settings, index: LibraryIndex, question: str) -> LibraryAnswer:
    answer = answer_question(settings, index, question, ALICE, today=TODAY)
    assert answer.kind == "summary" and answer.mode == "offline"
    assert answer.citations and all(c.valid for c in answer.citations), answer.answer
    return answer


def test_yesterday_is_summarized_from_the_moments_of_that_day(
    library_settings: Settings, index: LibraryIndex, videos: dict[str, str]
) -> None:
    answer = _asked(library_settings, index, "Summarize what the cameras saw yesterday")
    text = answer.answer
    assert text.startswith("What the cameras saw yesterday (2026-03-09): 5 moments in 2 videos")
    assert "- car.mp4 (3 moments): red car in 2 moments, first [car.mp4 @ 00:00]; " \
           "person in 1 moment, first [car.mp4 @ 01:05]" in text  # fmt: skip
    assert "- door (2 moments): person in 1 moment, first [door @ 2026-03-09 12:00:00]; " \
           "van in 1 moment, first [door @ 2026-03-09 12:00:02]" in text  # fmt: skip
    assert {c.video_id for c in answer.citations} == {videos["car.mp4"], videos["door"]}
    assert "yard" not in text and "gate" not in text and "dog" not in text  # other days, key


def test_today_and_last_week_take_their_own_days(
    library_settings: Settings, index: LibraryIndex, videos: dict[str, str]
) -> None:
    today = _asked(library_settings, index, "What did the cameras see today?")
    assert {c.video_id for c in today.citations} == {videos["yard"]}
    week = _asked(library_settings, index, "summarise last week")
    assert "in the last 7 days (2026-03-04 to 2026-03-10): 9 moments in 4 videos" in week.answer
    assert {c.video_id for c in week.citations} == {
        videos[name] for name in ("door", "yard", "gate", "car.mp4")
    }
    quiet = answer_question(library_settings, index, "summarize yesterday", ALICE,
                            today=date(2026, 1, 2))  # fmt: skip
    assert quiet.citations == [] and quiet.answer.startswith("Nothing was seen yesterday")


def test_a_period_narrows_the_other_questions_too(
    library_settings: Settings, index: LibraryIndex, videos: dict[str, str]
) -> None:
    answer = answer_question(library_settings, index, "Which videos show a van today?", ALICE,
                             today=TODAY)  # fmt: skip
    assert answer.kind == "which"
    assert {c.video_id for c in answer.citations} == {videos["yard"]}


@pytest.mark.parametrize(
    ("question", "days"),
    [("what happened yesterday", ("2026-03-09", "2026-03-09")),
     ("summarize today", ("2026-03-10", "2026-03-10")),
     ("what did the cameras see last week", ("2026-03-04", "2026-03-10")),
     ("recap the past 3 days", ("2026-03-08", "2026-03-10")),
     ("what did the cameras see", None)],
)  # fmt: skip
def test_the_days_a_question_names(question: str, days: tuple[str, str] | None) -> None:
    period = asked_period(question, TODAY)
    assert (period and (period.since, period.until)) == days
