"""Questions like "Summarize what the cameras saw yesterday" (and today, this week, last week,
the past week, yesterday afternoon), answered offline from the index on real SQLite and real
PostgreSQL: the videos whose moments fall in those days, in the asker's zone (UTC unless
given), what they showed with counts, each label cited at a moment that exists; never the best
matches."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from library_factory import finished_session, frame, live_stream

from process_helpers import run_videolens, videolens_env
from videolens.config import Settings
from videolens.library import LibraryFilter, LibraryIndex
from videolens.library.periods import UTC, asked_period
from videolens.library.questions import LibraryAnswer, answer_question
from videolens.store import SessionStore
from videolens.streams.store import StreamStore
from videolens.timeline.clock import InvalidTimeError, Zone, resolve_zone

NOON = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)  # "now" in these tests, a Tuesday
NOW = NOON.timestamp()
HONOLULU = resolve_zone("Pacific/Honolulu")  # UTC-10: there NOON is 02:00 on 2026-03-10
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


def _asked(
    settings: Settings, index: LibraryIndex, question: str, zone: Zone = UTC
) -> LibraryAnswer:
    answer = answer_question(settings, index, question, ALICE, zone, now=NOW)
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


def test_today_and_the_weeks_take_their_own_days(
    library_settings: Settings, index: LibraryIndex, videos: dict[str, str]
) -> None:
    today = _asked(library_settings, index, "What did the cameras see today?")
    assert {c.video_id for c in today.citations} == {videos["yard"]}
    past = _asked(library_settings, index, "summarise the past week")
    assert "in the past week (2026-03-03 to 2026-03-10): 9 moments in 4 videos" in past.answer
    assert {c.video_id for c in past.citations} == {
        videos[name] for name in ("door", "yard", "gate", "car.mp4")
    }
    this_week = _asked(library_settings, index, "summarise this week")
    assert "this week (2026-03-09 to 2026-03-10): 7 moments in 3 videos" in this_week.answer
    assert {c.video_id for c in this_week.citations} == {
        videos[name] for name in ("door", "yard", "car.mp4")
    }
    last_week = _asked(library_settings, index, "summarise last week")  # Monday to Sunday
    assert "last week (2026-03-02 to 2026-03-08): 2 moments in 1 video" in last_week.answer
    assert {c.video_id for c in last_week.citations} == {videos["gate"]}
    quiet = answer_question(library_settings, index, "summarize yesterday", ALICE,
                            now=datetime(2026, 1, 2, tzinfo=timezone.utc).timestamp())  # fmt: skip
    assert quiet.citations == [] and quiet.answer.startswith("Nothing was seen yesterday")


def test_part_of_a_day_bounds_the_moments_to_the_second(
    library_settings: Settings, index: LibraryIndex, videos: dict[str, str]
) -> None:
    answer = _asked(library_settings, index, "summarize yesterday afternoon")
    assert answer.answer.startswith(
        "What the cameras saw yesterday afternoon (from 2026-03-09 12:00:00 to 2026-03-09 "
        "18:00:00, UTC+00:00): 2 moments in 1 video"
    )  # the session added at 08:00 is left out
    assert {c.video_id for c in answer.citations} == {videos["door"]}


def test_the_askers_zone_decides_which_day_is_yesterday(
    library_settings: Settings, index: LibraryIndex, videos: dict[str, str]
) -> None:
    """In Honolulu yesterday is 2026-03-09 10:00 to 2026-03-10 10:00 UTC: the door stream's
    12:00 UTC falls in it, the session added at 08:00 UTC was the day before there."""
    answer = _asked(library_settings, index, "Summarize what the cameras saw yesterday", HONOLULU)
    assert answer.answer.startswith("What the cameras saw yesterday (2026-03-09): 2 moments")
    assert {c.video_id for c in answer.citations} == {videos["door"]}


def test_a_period_narrows_the_other_questions_too(
    library_settings: Settings, index: LibraryIndex, videos: dict[str, str]
) -> None:
    answer = answer_question(library_settings, index, "Which videos show a van today?", ALICE,
                             now=NOW)  # fmt: skip
    assert answer.kind == "which"
    assert {c.video_id for c in answer.citations} == {videos["yard"]}
    older = answer_question(library_settings, index, "Which videos show a van in the past 5 days?",
                            ALICE, now=NOW)  # fmt: skip
    assert older.answer.startswith('"van" appears in 3 videos'), older.answer  # not "van 5 days"
    assert {c.video_id for c in older.citations} == {videos[n] for n in ("door", "yard", "gate")}


def test_a_time_that_is_none_is_a_clear_error(
    library_settings: Settings, index: LibraryIndex
) -> None:
    with pytest.raises(InvalidTimeError, match="'25:00' is not a time of day"):
        answer_question(library_settings, index, "what happened at 25:00?", ALICE, now=NOW)


@pytest.mark.parametrize(
    ("question", "zone", "bounds"),
    [("what happened yesterday", UTC, ("2026-03-09", "2026-03-09")),
     ("summarize today", UTC, ("2026-03-10", "2026-03-10")),
     # Tuesday: the 3 days before today (Saturday to Monday) and today
     ("recap the past 3 days", UTC, ("2026-03-07", "2026-03-10")),
     ("what did the cameras see last week", UTC, ("2026-03-02", "2026-03-08")),
     ("what did the cameras see this week", UTC, ("2026-03-09", "2026-03-10")),
     ("recap the past week", UTC, ("2026-03-03", "2026-03-10")),
     ("what happened yesterday", HONOLULU, ("2026-03-09T10:00:00", "2026-03-10T09:59:59")),
     ("anything since 9?", UTC, ("2026-03-10T09:00:00", None)),
     ("what did the cameras see in the last 2 hours", UTC, ("2026-03-10T10:00:00", None)),
     ("what did the cameras see", UTC, None)],
)  # fmt: skip
def test_the_days_a_question_names(
    question: str, zone: Zone, bounds: tuple[str, str | None] | None
) -> None:
    period = asked_period(question, zone, NOW)
    assert (period and (period.since, period.until)) == bounds


def test_the_cli_reads_the_days_in_the_zone_of_tz(
    library_settings: Settings, videos: dict[str, str]
) -> None:
    """``videolens ask --all``: 2026-03-09 is UTC's day unless --tz names another zone."""
    env = videolens_env(VIDEOLENS_DATA_DIR=str(library_settings.data_dir))
    if library_settings.database_url is not None:
        env["VIDEOLENS_DATABASE_URL"] = library_settings.database_url.get_secret_value()
    question = ["ask", "--all", "summarize what the cameras saw on 2026-03-09", "--json"]
    cited: dict[bool, set[str]] = {}
    for tz in ([], ["--tz", "Pacific/Honolulu"]):
        run = run_videolens([*question, *tz], env)
        assert run.returncode == 0, run.stderr
        cited[bool(tz)] = {c["video_id"] for c in json.loads(run.stdout)["citations"]}
    assert cited[False] == {videos[name] for name in ("door", "car.mp4", "dog.mp4")}
    assert cited[True] == {videos["door"]}  # the sessions came at 22:00 the day before there
    wrong = run_videolens([*question, "--tz", "Mars/Olympus"], env)
    assert wrong.returncode != 0 and "unknown time zone 'Mars/Olympus'" in wrong.stderr
