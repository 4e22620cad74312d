"""Chat and search over a live stream in wall-clock time, on streams written through the
StreamStore's write API with frames at known local times (Europe/Berlin, 2026-01-05).

The "street" stream: a frame every 4 s from 13:40:00 to 14:08:00, none from 13:58:00 to
13:58:30 (the source dropped); a car 13:45:00-13:45:20 and 14:02:00-14:02:12; 5 people
13:50:00-13:50:20; from 14:01 to 14:06 one person, three at 14:04:20; "OPEN" on screen
13:55:00-13:55:08 and "EXIT" 14:05:08-14:05:20.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from stream_factory import Scene, build_stream, gap
from test_answer import chat_settings
from typer.testing import CliRunner

from openai_fake import OpenAIFake
from videolens.chat.answer import (
    Answer,
    PreparedAnswer,
    final_answer,
    prepare_answer,
    run_answer,
)
from videolens.chat.citations import Citation
from videolens.chat.live_timeline import AskedRange, StreamTimeline, load_timeline
from videolens.chat.search import search_stream
from videolens.chat.sources import StreamSource
from videolens.chat.wall_clock import parse_instant, parse_wall_clock
from videolens.config import Settings
from videolens.streams.store import StreamStore
from videolens.timeline.clock import InvalidTimeError, UnknownTimeZoneError, Zone, resolve_zone
from videolens.timeline.model import Moment

ZONE = resolve_zone("Europe/Berlin")


def local(h: int, m: int, s: int = 0, day: int = 5) -> float:
    return ZONE.at(datetime(2026, 1, day, h, m, s))


NOW = local(14, 10)


def street_scene(at: float) -> Scene:
    def within(h1: int, m1: int, s1: int, h2: int, m2: int, s2: int) -> bool:
        return local(h1, m1, s1) <= at <= local(h2, m2, s2)

    scene = Scene()
    if within(13, 45, 0, 13, 45, 20) or within(14, 2, 0, 14, 2, 12):
        scene.cars = 1
    if within(13, 50, 0, 13, 50, 20):
        scene.people = 5
    if within(14, 1, 0, 14, 6, 0):
        scene.people = 3 if abs(at - local(14, 4, 20)) < 1 else 1
    if within(13, 55, 0, 13, 55, 8):
        scene.text = ["OPEN"]
    if within(14, 5, 8, 14, 5, 20):
        scene.text = ["EXIT"]
    return scene


def street_times() -> list[float]:
    every = [local(13, 40) + 4 * i for i in range(421)]
    return [t for t in every if not local(13, 58) <= t < local(13, 58, 30)]


def prepare_stream_answer(
    settings: Settings, store: StreamStore, stream_id: str, question: str, *, zone: Zone,
    now: float,
) -> PreparedAnswer:  # fmt: skip
    source = StreamSource.load(store, stream_id, question, AskedRange(zone, now))
    return prepare_answer(settings, source, question)


def ask_stream(
    settings: Settings, store: StreamStore, stream_id: str, question: str, *, zone: Zone,
    now: float,
) -> Answer:  # fmt: skip
    prepared = prepare_stream_answer(settings, store, stream_id, question, zone=zone, now=now)
    return final_answer(run_answer(settings, prepared))


def check_stream_citations(
    text: str, timeline: StreamTimeline, store: StreamStore
) -> list[Citation]:
    return StreamSource(store, timeline, "").citations(text)


@pytest.fixture(scope="module")
def street_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[StreamStore, str]:
    """The street stream, written once for the module (its ~200 windows take seconds)."""
    store = StreamStore(tmp_path_factory.mktemp("street") / "streams")
    stream_id = build_stream(store, street_times(), street_scene)
    store.update(stream_id, gaps=[gap(local(13, 58), local(13, 58, 30))])
    return store, stream_id


@pytest.fixture
def store(street_store: tuple[StreamStore, str]) -> StreamStore:
    return street_store[0]


@pytest.fixture
def street(street_store: tuple[StreamStore, str]) -> str:
    return street_store[1]


def frame_at(store: StreamStore, stream_id: str, seq: int | None) -> Moment:
    assert seq is not None
    frame = store.moment(stream_id, seq)
    assert frame is not None
    return frame


def offline(tmp_path: Path, store: StreamStore, stream_id: str, question: str) -> Answer:
    return ask_stream(chat_settings(tmp_path), store, stream_id, question, zone=ZONE, now=NOW)


def test_when_a_car_last_appeared_cites_the_frames_it_rests_on(
    tmp_path: Path, store: StreamStore, street: str
) -> None:
    answer = offline(tmp_path, store, street, "When did a car last appear?")
    assert answer.mode == "retrieval"
    assert "A car was last seen at [14:02:12]" in answer.text
    assert "from [14:02:00] to [14:02:12]" in answer.text and "[13:45:00]" in answer.text
    assert answer.citations and all(c.valid for c in answer.citations)
    for citation in answer.citations:  # each cited frame does show a car, at the time cited
        frame = frame_at(store, street, citation.frame_index)
        assert any(d.label == "car" for d in frame.detections or [])
        assert ZONE.clock(frame.at or 0.0) == citation.text


def test_how_many_people_in_the_last_10_minutes_counts_only_that_range(
    tmp_path: Path, store: StreamStore, street: str
) -> None:
    answer = offline(tmp_path, store, street, "how many people in the last 10 minutes?")
    assert answer.text.splitlines()[0].endswith(
        "At most 3 people at once in the last 10 minutes (14:00:00–14:10:00), at [14:04:20]."
    )
    assert "5 people" not in answer.text  # 13:50 is outside the range
    assert (
        answer.scope is not None
        and answer.scope.label == "in the last 10 minutes (14:00:00–14:10:00)"
    )
    assert answer.scope.since_at == NOW - 600
    peak = frame_at(store, street, answer.citations[0].frame_index)
    assert answer.citations[0].valid and peak.people_count == 3


def test_what_was_written_at_a_minute(tmp_path: Path, store: StreamStore, street: str) -> None:
    answer = offline(tmp_path, store, street, "what was written at 14:05?")
    assert '"EXIT" at [14:05:08] (4 frames, until 14:05:20)' in answer.text
    assert "OPEN" not in answer.text
    [citation] = answer.citations
    assert citation.valid and frame_at(store, street, citation.frame_index).text == ["EXIT"]


def test_an_empty_range_says_so_and_cites_nothing(
    tmp_path: Path, store: StreamStore, street: str
) -> None:
    late = ask_stream(
        chat_settings(tmp_path), store, street, "how many people in the last 10 minutes?",
        zone=ZONE, now=local(16, 0),
    )  # fmt: skip
    assert "Nothing was analysed in the last 10 minutes (15:50:00–16:00:00)" in late.text
    assert "newest analysed frame is from 2026-01-05 14:08:00" in late.text
    assert late.citations == [] and "[" not in late.text
    dropped = offline(tmp_path, store, street, "what happened at 13:58:10?")
    assert "Nothing was analysed at 13:58:10" in dropped.text
    assert "not watched from 2026-01-05 13:58:00 to 2026-01-05 13:58:30" in dropped.text
    assert dropped.citations == []


def test_a_time_that_does_not_parse_is_a_clear_error(
    tmp_path: Path, store: StreamStore, street: str
) -> None:
    for question in (
        "what happened at 25:61?",
        "anything at 14:7?",
        "on 2026-02-30?",
        "cars in the last 99999999999 days?",
        "on 0001-01-01?",
    ):
        with pytest.raises(InvalidTimeError, match=r"is not a|before 1970"):
            prepare_stream_answer(
                chat_settings(tmp_path), store, street, question, zone=ZONE, now=NOW
            )
    with pytest.raises(UnknownTimeZoneError, match="unknown time zone 'Mars/Olympus'"):
        resolve_zone("Mars/Olympus")
    for value in ("next blue moon", "1e300", "nan"):
        with pytest.raises(InvalidTimeError, match=r"is not a time|before 1970"):
            parse_instant(value, ZONE, NOW)


@pytest.mark.parametrize(
    ("phrase", "since", "until", "focus"),
    [
        ("in the last 10 minutes", (14, 0, 0), None, None),
        ("over the past hour", (13, 10, 0), None, None),
        ("at 14:05", (14, 5, 0), (14, 6, 0), (14, 5, 0)),
        ("at 14:05:12", (14, 5, 2), (14, 5, 23), (14, 5, 12)),
        ("at 2:05 pm", (14, 5, 0), (14, 6, 0), (14, 5, 0)),
        ("since 14:00", (14, 0, 0), None, None),
        ("between 14:00 and 14:10", (14, 0, 0), (14, 10, 0), None),
        ("from 9 to 11 yesterday", (9, 0, 0, 4), (11, 0, 0, 4), None),
        ("yesterday at 9", (9, 0, 0, 4), (10, 0, 0, 4), None),
        ("at 15:00", (15, 0, 0, 4), (15, 1, 0, 4), (15, 0, 0, 4)),  # latest past 15:00
        ("before 14:30", None, (14, 30, 0), None),
        ("today", (0, 0, 0), (0, 0, 0, 6), None),
        ("yesterday", (0, 0, 0, 4), (0, 0, 0), None),
        ("10 minutes ago", (13, 59, 0), (14, 1, 0), (14, 0, 0)),
        ("between 23:00 and 01:00", (23, 0, 0, 4), (1, 0, 0), None),
    ],
)
def test_wall_clock_phrases(
    phrase: str, since: tuple[int, ...] | None, until: tuple[int, ...] | None, focus: Any
) -> None:
    found = parse_wall_clock(f"what happened {phrase}?", ZONE, NOW)
    assert found is not None and found.rest == "what happened ?"
    expected = [local(*t) if t else None for t in (since, until, focus)]
    assert [found.since_at, found.until_at, found.focus_at] == expected


def test_words_that_are_no_time_are_left_alone() -> None:
    for question in ("when did a car last appear?", "were there 3 cars?", "is it 16:9?"):
        assert parse_wall_clock(question, ZONE, NOW) is None


def test_citations_are_checked_against_the_stored_frames(store: StreamStore, street: str) -> None:
    timeline = load_timeline(store, street, AskedRange(ZONE, NOW))
    text = (
        "Seen at [14:02:12] and [14:02:13], in the gap [13:58:15], "
        "later [15:00:00], nonsense [25:00:00], yesterday [2026-01-04 14:02:12], minute [14:05]."
    )
    found = {c.text: c for c in check_stream_citations(text, timeline, store)}
    car = frame_at(store, street, found["14:02:12"].frame_index)
    assert found["14:02:12"].valid and ZONE.clock(car.at or 0.0) == "14:02:12"
    assert found["14:02:13"].valid and found["14:02:13"].frame_index == car.seq  # within 2 s
    assert not found["13:58:15"].valid  # 19 s from the last frame before the gap
    assert not found["15:00:00"].valid and not found["25:00:00"].valid
    assert not found["2026-01-04 14:02:12"].valid
    assert (
        found["14:05"].valid
        and ZONE.clock(frame_at(store, street, found["14:05"].frame_index).at or 0.0)[:5] == "14:05"
    )


def test_times_carry_their_date_when_the_range_spans_days(
    tmp_path: Path, store: StreamStore
) -> None:
    times = [local(23, 59, 52, day=4) + 4 * i for i in range(5)]  # 23:59:52 ... 00:00:08
    stream_id = build_stream(store, times, lambda at: Scene(text=["MIDNIGHT"]))
    answer = ask_stream(
        chat_settings(tmp_path), store, stream_id, "what was written since 23:59?",
        zone=ZONE, now=local(0, 1),
    )  # fmt: skip
    assert '"MIDNIGHT" at [2026-01-04 23:59:52] (5 frames, until 2026-01-05 00:00:08)' in (
        answer.text
    )
    assert [c.valid for c in answer.citations] == [True]
    timeline = load_timeline(store, stream_id, AskedRange(ZONE, local(0, 1)))
    [bare] = check_stream_citations("at [00:00:04]", timeline, store)
    assert bare.valid and bare.frame_timestamp_s == local(0, 0, 4)


def test_a_second_with_two_frames_means_the_one_the_answer_showed(
    tmp_path: Path, store: StreamStore
) -> None:
    """A shot cut sampled twice within one second: 12:00:05.2 before the word, .7 with it."""
    times = [local(12, 0, 0), local(12, 0, 5) + 0.2, local(12, 0, 5) + 0.7, local(12, 0, 9)]
    stream_id = build_stream(store, times, lambda at: Scene(text=["EXIT"] if at > times[1] else []))
    answer = ask_stream(
        chat_settings(tmp_path), store, stream_id, "what was written?", zone=ZONE, now=NOW
    )
    cited = answer.citations[0]
    assert '"EXIT" at [12:00:05]' in answer.text and cited.valid
    assert frame_at(store, stream_id, cited.frame_index).text == ["EXIT"]


def test_the_chat_model_gets_wall_clock_times_and_its_citations_are_checked(
    tmp_path: Path, store: StreamStore, street: str, openai_fake: OpenAIFake
) -> None:
    openai_fake.script(reply_text="A car was last seen at [14:02:12]; nothing at [15:00:00].")
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)
    prepared = prepare_stream_answer(
        settings, store, street, "When did a car last stop here?", zone=ZONE, now=NOW
    )
    events = list(run_answer(settings, prepared))
    answer = events[-1].answer
    assert answer is not None and answer.mode == "llm" and answer.model == "fake-model"
    deltas = [e.text for e in events if e.kind == "delta"]
    assert len(deltas) >= 3 and "".join(deltas).strip() == answer.text
    real, invented = answer.citations
    assert real.valid and real.frame_index is not None
    assert any(d.label == "car" for d in frame_at(store, street, real.frame_index).detections or [])
    assert not invented.valid and invented.frame_index is None
    messages = openai_fake.requests("chat")[0]["json"]["messages"]
    assert "[HH:MM:SS]" in messages[0]["content"]
    assert "Europe/Berlin, UTC+01:00" in messages[0]["content"]
    timeline = messages[1]["content"]
    assert "now it is 2026-01-05 14:10:00" in timeline, timeline
    assert "[14:02:12] A person; a car on the right; a frame dominated by grey." in timeline
    assert messages[-1] == {"role": "user", "content": "When did a car last stop here?"}
    turns = json.loads((store.stream_dir(street) / "chat.json").read_text())["turns"]
    assert turns[-1]["mode"] == "llm" and turns[-1]["citations"][0]["valid"] is True


def test_an_empty_range_does_not_call_the_model(
    tmp_path: Path, store: StreamStore, street: str, openai_fake: OpenAIFake
) -> None:
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)
    answer = ask_stream(
        settings, store, street, "anything in the last 10 minutes?", zone=ZONE, now=local(16, 0)
    )
    assert answer.text.startswith("Nothing was analysed in the last 10 minutes")
    assert answer.citations == [] and openai_fake.requests("chat") == []


def test_search_ranks_matching_frames_in_the_range(store: StreamStore, street: str) -> None:
    cars = search_stream(store, street, "car", AskedRange(ZONE, NOW))
    assert {h.time for h in cars.hits} == {
        "13:45:00", "13:45:04", "13:45:08", "13:45:12", "13:45:16", "13:45:20",
        "14:02:00", "14:02:04", "14:02:08", "14:02:12",
    }  # fmt: skip
    recent = search_stream(store, street, "car in the last 10 minutes", AskedRange(ZONE, NOW))
    assert [h.time for h in recent.hits] == ["14:02:12", "14:02:08", "14:02:04", "14:02:00"]
    assert recent.range_label == "in the last 10 minutes (14:00:00–14:10:00)"
    ranged = search_stream(store, street, "EXIT", AskedRange(ZONE, NOW, local(14, 5, 10), NOW))
    assert [h.time for h in ranged.hits] == ["14:05:20", "14:05:16", "14:05:12"]
    at = search_stream(store, street, "at 14:05", AskedRange(ZONE, NOW), limit=3)
    assert [h.time for h in at.hits] == ["14:05:00", "14:05:04", "14:05:08"]
    assert search_stream(store, street, "bicycle", AskedRange(ZONE, NOW)).hits == []


# -- the CLI: `videolens ask|chat ID` and `videolens search ID q` take a stream id too --------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, Any, StreamStore]:
    import typer

    from videolens.cli.chat_command import ask, chat, search

    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("VIDEOLENS_CHAT_API_KEY", "NEBIUS_API_KEY", "VIDEOLENS_CHAT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VIDEOLENS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VIDEOLENS_TIME_ZONE", "Europe/Berlin")
    app = typer.Typer()
    app.command()(ask)
    app.command()(chat)
    app.command()(search)
    return CliRunner(), app, StreamStore(tmp_path / "data" / "streams")


def test_cli_ask_and_search_a_stream(cli: tuple[CliRunner, Any, StreamStore]) -> None:
    """The frames are from 2026-01-05, not today: times carry their date."""
    runner, app, store = cli
    stream_id = build_stream(store, street_times(), street_scene)
    asked = runner.invoke(app, ["ask", stream_id, "when did a car last appear?", "--json"])
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert answer["mode"] == "retrieval"
    assert "last seen at [2026-01-05 14:02:12]" in answer["answer"]
    assert answer["time_zone"].startswith("Europe/Berlin")
    assert answer["citations"][0]["valid"] is True
    streamed = runner.invoke(app, ["ask", stream_id, "when did a car last appear?", "--tz", "UTC"])
    assert streamed.exit_code == 0 and "last seen at [2026-01-05 13:02:12]" in streamed.stdout
    found = runner.invoke(app, ["search", stream_id, "EXIT", "--json"])
    assert found.exit_code == 0, found.output
    assert {h["time"] for h in json.loads(found.stdout)} == {
        "2026-01-05 14:05:08", "2026-01-05 14:05:12", "2026-01-05 14:05:16", "2026-01-05 14:05:20",
    }  # fmt: skip
    shown = runner.invoke(app, ["search", stream_id, "EXIT", "--since", "2026-01-05T14:05:15"])
    assert shown.exit_code == 0 and shown.stdout.count("[2026-01-05 14:05:") == 2
    bad = runner.invoke(app, ["ask", stream_id, "what happened at 25:61?"])
    assert bad.exit_code == 2 and "'25:61' is not a time of day" in bad.stderr
    zone = runner.invoke(app, ["ask", stream_id, "what happened?", "--tz", "Mars/Olympus"])
    assert zone.exit_code == 2 and "unknown time zone" in zone.stderr
    talk = runner.invoke(
        app, ["chat", stream_id], input="when did a car last appear?\nat 25:61?\nexit\n"
    )
    assert talk.exit_code == 0, talk.output
    assert "last seen at [2026-01-05 14:02:12]" in talk.stdout
    assert "error: '25:61' is not a time of day" in talk.stderr  # the chat goes on
    unknown = runner.invoke(app, ["ask", "zzzzzzzzzzzz", "what?"])
    assert unknown.exit_code == 2 and "no session or stream 'zzzzzzzzzzzz'" in unknown.stderr
