"""Summary and chapters: from the shots without a model, hierarchical with one."""

from __future__ import annotations

import itertools
import json

from timeline_factory import SHOT_STARTS_S, make_document, typed

from openai_fake import OpenAIFake
from videolens.chat.summary import summarize_session
from videolens.openai_compat import OpenAICompatClient

DISTINCT_SHOT_STARTS_S = [s for s in SHOT_STARTS_S if s not in (63.0, 84.0)]


def test_without_a_model_chapters_come_from_the_shots() -> None:
    result = summarize_session(typed(make_document()), None)
    assert result["mode"] == "shots"
    starts = [c["start_s"] for c in result["chapters"]]
    # 12 shots; the shots at 1:03 and 1:24 show what the shot before them shows (the same
    # text), so they continue its chapter rather than repeat its title.
    assert starts == DISTINCT_SHOT_STARTS_S
    titles_in_order = [c["title"] for c in result["chapters"]]
    assert all(a != b for a, b in itertools.pairwise(titles_in_order))
    titles = {c["start_s"]: c["title"] for c in result["chapters"]}
    assert titles[0.0] == "WELCOME"  # visible text first
    assert titles[6.0].startswith("a quiet street")  # else the description
    assert result["summary"].startswith("Extractive summary (no chat model configured)")
    assert "[00:30] a harbour" in result["summary"]


def test_many_shots_are_merged_into_at_most_max_chapters() -> None:
    document = make_document(shots={"starts_s": [float(s) for s in range(0, 120, 3)]})
    chapters = summarize_session(typed(document), None, max_chapters=5)["chapters"]
    assert 1 < len(chapters) <= 5 and chapters[0]["start_s"] == 0.0
    assert all(b["start_s"] - a["start_s"] >= 24 for a, b in itertools.pairwise(chapters))


def test_with_a_model_the_summary_is_hierarchical(openai_fake: OpenAIFake) -> None:
    openai_fake.script_summary(
        "A walk through a harbour town.",
        [
            ("00:02", "Welcome"),
            ("00:30", "The harbour"),
            ("01:30", "Sunset"),
            ("09:00", "Beyond the end"),
        ],
    )
    with OpenAICompatClient(openai_fake.base_url, "fake-model") as client:
        result = summarize_session(typed(make_document()), client, budget_tokens=80)
    assert result["mode"] == "llm"
    assert result["summary"] == "A walk through a harbour town."
    assert result["chapters"] == [
        {"start_s": 0.0, "title": "Welcome"},  # the first chapter starts at 0
        {"start_s": 30.0, "title": "The harbour"},
        {"start_s": 90.0, "title": "Sunset"},
    ]  # a chapter past the end is dropped
    requests = openai_fake.requests("chat")
    assert len(requests) >= 3  # group summaries, then the whole video
    final = requests[-1]["json"]
    assert final["response_format"] == {"type": "json_object"}


def test_a_short_video_takes_a_single_call(openai_fake: OpenAIFake) -> None:
    openai_fake.script(reply_text="not json at all")
    with OpenAICompatClient(openai_fake.base_url, "fake-model") as client:
        result = summarize_session(typed(make_document()), client, budget_tokens=3000)
    assert len(openai_fake.requests("chat")) == 1
    assert result["summary"] == "not json at all"
    # Fell back to the shots.
    assert [c["start_s"] for c in result["chapters"]] == DISTINCT_SHOT_STARTS_S


def test_the_extractive_summary_says_what_is_in_the_video() -> None:
    from timeline_factory import make_street_document

    result = summarize_session(typed(make_street_document()), None)
    summary = result["summary"]
    assert "People are seen in 30 of 40 analysed moments" in summary
    assert "up to 5 people at once [01:06]" in summary
    assert "a dog [00:36]" in summary and "a truck [01:10]" in summary
    assert '"EXIT" [00:50]' in summary
    assert "Speech: 4 transcribed segments" in summary and "Good morning" in summary
    assert "no faces" not in summary  # old negative clauses are not repeated
    # Chapters follow the shots (0:00, 0:20, 0:50, 1:00) and the changes between them, titled
    # with what is in view at a cut and what changes, never the most seen at once.
    chapters = [(c["start_s"], c["title"]) for c in result["chapters"]]
    assert chapters == [
        (0.0, "2 people in view; a car comes into view"),
        (10.0, "The car is gone; fewer people (about 4 \u2192 2)"),
        (20.0, "An empty paved street; a person comes into view"),
        (36.0, "A dog comes and goes"),
        (50.0, "EXIT SALE 50%"),
        (60.0, "Shot 4: 3 people in view"),
        (72.0, "Fewer people (about 4 \u2192 2)"),
    ]


def test_chapter_titles_fall_back_to_speech_and_say_when_speech_is_missing() -> None:
    from timeline_factory import make_street_document

    document = make_street_document()
    for frame in document["frames"][30:]:
        frame.update(detections=[], people_count=0, objects=[], people=[], description="")
    chapters = summarize_session(typed(document), None)["chapters"]
    titles = {c["start_s"]: c["title"] for c in chapters}
    assert titles[60.0] == "\u201cThe bus to the harbour leaves…\u201d"
    silent = make_street_document(speech={"status": "none", "segments": []})
    assert "no audio track" in summarize_session(typed(silent), None)["summary"]


def test_with_a_model_the_timeline_includes_speech(openai_fake: OpenAIFake) -> None:
    from timeline_factory import make_street_document

    openai_fake.script(reply_text=json.dumps({"summary": "A street.", "chapters": []}))
    with OpenAICompatClient(openai_fake.base_url, "fake-model") as client:
        summarize_session(typed(make_street_document()), client, budget_tokens=3000)
    sent = openai_fake.requests("chat")[-1]["json"]["messages"][-1]["content"]
    assert '[01:24] speech (until 01:28): "Thank you for watching."' in sent
    assert "detected: 5 people" in sent or "5 people" in sent
    silent = make_street_document(speech={"status": "unavailable", "reason": "bad codec"})
    with OpenAICompatClient(openai_fake.base_url, "fake-model") as client:
        summarize_session(typed(silent), client, budget_tokens=3000)
    assert "could not be transcribed: bad codec" in openai_fake.requests("chat")[-1]["json"][
        "messages"][-1]["content"]  # fmt: skip


def test_a_chapter_is_titled_from_its_own_shot_not_the_frame_just_before() -> None:
    """The demo's last SUNRISE frame at 17.96 s sat 40 ms before the THE END cut at 18 s."""
    frames = [
        {"index": i, "timestamp_s": t, "description": d, "text": text, "shot_start": shot}
        for i, (t, d, text, shot) in enumerate(
            [
                (12.0, "sunrise card", ["SUNRISE"], True),
                (17.96, "sunrise card", ["SUNRISE"], False),
                (18.0, "closing card", ["THE END"], True),
            ]
        )
    ]
    document = {
        "video": {"duration_s": 22.0},
        "frames": frames,
        "shots": {"starts_s": [12.0, 18.0]},
    }
    titles = [c["title"] for c in summarize_session(typed(document), None)["chapters"]]
    assert titles[-1] == "THE END"


def test_never_more_chapters_than_moments_and_none_too_short() -> None:
    """Six shot starts (one of them 2.46 s before the end) but only five analysed moments: a
    shot whose frames were dropped by the cap has no chapter, nor does a 0.08 s tail."""
    times_texts = [(0.0, "DARK"), (3.0, "STREET"), (9.0, "HARBOUR"), (15.0, "CARS"),
                   (20.92, "END")]  # fmt: skip
    frames = [
        {"index": i, "timestamp_s": t, "description": f"a {text.lower()}", "text": [text],
         "shot_start": True}
        for i, (t, text) in enumerate(times_texts)
    ]  # fmt: skip
    document = {
        "video": {"duration_s": 21.0},
        "frames": frames,
        "shots": {"starts_s": [0.0, 3.0, 6.0, 9.0, 15.0, 20.92]},
    }
    chapters = summarize_session(typed(document), None)["chapters"]
    assert len(chapters) <= len(frames)
    assert [c["start_s"] for c in chapters] == [0.0, 3.0, 9.0, 15.0]
    assert [c["title"] for c in chapters][:3] == ["DARK", "STREET", "HARBOUR"]
    assert chapters[3]["title"].startswith("CARS")
    ends = [c["start_s"] for c in chapters[1:]] + [21.0]
    assert all(end - c["start_s"] >= 2.5 for c, end in zip(chapters, ends, strict=True))


def test_with_tracks_chapters_start_where_things_arrive_and_leave() -> None:
    from timeline_factory import make_street_document
    from track_factory import make_tracked_street_document

    chapters = summarize_session(typed(make_tracked_street_document()), None)["chapters"]
    assert [(c["start_s"], c["title"]) for c in chapters] == [
        (0.0, "2 people in view; a car comes and goes"),  # the car: 0:05-0:10
        (20.0, "An empty paved street; a person arrives"),  # a cut, then a person at 0:28
        (35.5, "A dog comes and goes; a bicycle comes and goes"),  # the dog arrives at 0:35.5
        (50.0, "EXIT SALE 50%"),
        (60.0, "Shot 4: 3 people in view; a truck arrives"),
        (71.5, "The last truck leaves"),
    ]
    untracked = summarize_session(typed(make_street_document()), None)["chapters"]
    assert [c["start_s"] for c in untracked] != [c["start_s"] for c in chapters]
    # Never the most seen at once over the whole video ("5 people and a truck").
    assert not any("5 people" in c["title"] for c in chapters + untracked)


def test_four_short_shots_are_four_chapters() -> None:
    """Megamind.avi: shots at 0, 4.1, 6.5 (1.9 s long) and 8.4 s, one person in the last three;
    the first frame is marked a shot start 83 ms after the stored one."""
    times = [(0.083, True, 2), (2.044, False, 2), (4.129, True, 1), (6.089, False, 1),
             (6.465, True, 1), (8.383, True, 1), (10.344, False, 1)]  # fmt: skip
    frames = [
        {"index": i, "timestamp_s": t, "shot_start": cut, "model": "basic",
         "description": "A person", "people_count": n,
         "detections": [{"label": "person", "score": 0.9, "box": [0.4, 0.1, 0.6, 0.9]}] * n}
        for i, (t, cut, n) in enumerate(times)
    ]  # fmt: skip
    document = {"video": {"duration_s": 11.26}, "frames": frames,
                "shots": {"starts_s": [0.0, 4.129, 6.465, 8.383]}}  # fmt: skip
    chapters = summarize_session(typed(document), None)["chapters"]
    assert [(c["start_s"], c["title"]) for c in chapters] == [
        (0.0, "2 people in view"),
        (4.129, "Shot 2: a person in view"),
        (6.465, "Shot 3: a person in view"),
        (8.383, "Shot 4: a person in view"),
    ]


def test_with_a_model_the_chapters_are_asked_from_the_tracks(openai_fake: OpenAIFake) -> None:
    from track_factory import make_tracked_street_document

    openai_fake.script(reply_text=json.dumps({"summary": "A street.", "chapters": []}))
    with OpenAICompatClient(openai_fake.base_url, "fake-model") as client:
        summarize_session(typed(make_tracked_street_document()), client, budget_tokens=3000)
    final = openai_fake.requests("chat")[-1]["json"]["messages"]
    assert "never with a count over the whole video" in final[0]["content"]
    sent = final[-1]["content"]
    assert "Cuts and changes at: 00:00, 00:20, 00:35, 00:50, 01:00, 01:11." in sent
    assert "#8 dog 00:35\u201300:39, in at left, out at right, left to right, brown" in sent


def test_a_shot_with_nothing_detected_is_titled_by_its_description_without_new_shot() -> None:
    """The demo's dark shot was titled "A dark frame dominated by black. New shot"."""
    frames = [
        {"index": 0, "timestamp_s": 0.0, "shot_start": True, "model": "basic", "detections": [],
         "description": "A dark frame dominated by black. New shot."},
        {"index": 1, "timestamp_s": 2.0, "model": "basic", "detections": [],
         "description": "A dark frame dominated by black; little motion."},
    ]  # fmt: skip
    document = {"video": {"duration_s": 4.0}, "frames": frames, "shots": {"starts_s": [0.0]}}
    chapters = summarize_session(typed(document), None)["chapters"]
    assert [c["title"] for c in chapters] == ["A dark frame dominated by black"]


def test_a_track_broken_mid_frame_is_no_arrival_and_no_departure() -> None:
    """#2 lost mid-frame at 0:20 and found again as #3 at 0:21.5 is one person going on; #5
    lost at 0:45 and #4 coming out mid-frame at 0:50 are farther apart than a handover."""
    from track_factory import make_broken_tracks_document

    from videolens.chat.changes import changes_from_tracks

    document = typed(make_broken_tracks_document())
    assert document.tracks is not None
    people = [c for c in changes_from_tracks(document.tracks, 90.0) if c.label == "person"]
    assert [(c.at, c.kind) for c in people] == [
        (5.0, "arrives"),
        (30.0, "leaves"),  # #1 out at the right
        (30.0, "arrives"),  # #5 in at the right
        (40.0, "leaves"),  # #3, the #2 found again, out at the right
        (45.0, "leaves"),
        (50.0, "arrives"),
        (60.0, "leaves"),
    ]
    # Levels count what is in view: #3 is there in place of #2.
    assert [(c.before, c.after) for c in people][3] == (2, 1)
