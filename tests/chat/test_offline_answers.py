"""Answers without a chat model on a street scene with detections, faces, on-screen text and a
speech track: every plain question gets an answer from the measurements, citing checked moments.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_answer import chat_settings
from timeline_factory import STREET_SPEECH, make_street_document, store_document, typed

from videolens.chat.answer import Answer, answer_question
from videolens.chat.citations import check_citations, flag_invalid
from videolens.store import SessionStore

SESSION = "street000000"


def ask(tmp_path: Path, question: str, document: dict[str, Any] | None = None) -> Answer:
    document = document or make_street_document(SESSION)
    store = store_document(tmp_path / "data" / "sessions", document)
    answer = answer_question(chat_settings(tmp_path), store, SESSION, question)
    assert answer.mode == "retrieval"
    assert answer.text.startswith("Retrieval only (no chat model configured)")
    assert "no analysed moment matches" not in answer.text
    assert all(c.valid for c in answer.citations), answer.text
    return answer


def cited_frames(answer: Answer) -> list[dict[str, Any]]:
    by_index = {f["index"]: f for f in make_street_document(SESSION)["frames"]}
    return [by_index[c.frame_index] for c in answer.citations if c.frame_index is not None]


def test_summarize_gives_the_stored_summary_citing_the_chapters(tmp_path: Path) -> None:
    chapters = [{"start_s": 0.0, "title": "People on the street"},
                {"start_s": 50.0, "title": "A shop front"}]  # fmt: skip
    document = make_street_document(SESSION, summary="Pedestrians pass a shop.", chapters=chapters)
    for question in ("Summarize the video", "what is this video about?", "What happens?"):
        answer = ask(tmp_path / question[:4], question, document)
        assert "Pedestrians pass a shop." in answer.text
        assert "[00:00] People on the street" in answer.text
        assert "[00:50] A shop front" in answer.text
        assert {c.frame_index for c in answer.citations} == {0, 25}


def test_summarize_without_a_stored_summary_says_what_is_in_the_video(tmp_path: Path) -> None:
    answer = ask(tmp_path, "give me a summary")
    peak = max(f["people_count"] for f in make_street_document()["frames"])
    assert f"up to {peak} people at once" in answer.text
    assert '"EXIT" [00:50]' in answer.text
    assert "Good morning" in answer.text and len(answer.citations) >= 6


@pytest.mark.parametrize(
    "question",
    ["How many people are there?", "how many pedestrians?", "How many persons are visible",
     "how many men and women walk by?"],
)  # fmt: skip
def test_how_many_people_counts_from_the_detections(tmp_path: Path, question: str) -> None:
    frames = make_street_document()["frames"]
    peak = max(f["people_count"] for f in frames)
    first_peak = next(f for f in frames if f["people_count"] == peak)
    answer = ask(tmp_path, question)
    assert f"At most {peak} people at once, at [{_mmss(first_peak['timestamp_s'])}]" in answer.text
    seen = sum(1 for f in frames if f["people_count"])
    assert f"seen in {seen} of {len(frames)} analysed moments" in answer.text
    assert "in the beginning" in answer.text and "in the end" in answer.text  # how it varies
    assert all(f["people_count"] > 0 for f in cited_frames(answer))


def test_how_many_faces_and_a_label_never_seen(tmp_path: Path) -> None:
    faces = ask(tmp_path / "a", "how many faces can be seen?")
    assert "At most a face at once, at [00:32] (also [00:34])" in faces.text
    assert all(f["face_count"] > 0 for f in cited_frames(faces)[:2])
    horses = ask(tmp_path / "b", "how many horses are there?")
    assert "No horses were detected in any of the 40 analysed moments" in horses.text
    assert horses.citations == []


def _mmss(seconds: float) -> str:
    return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"


@pytest.mark.parametrize(
    "question",
    ["When do people walk past?", "when does someone walk by?", "are there any kids?",
     "Is anyone visible?", "when do pedestrians cross"],
)  # fmt: skip
def test_when_people_are_visible_gives_time_ranges(tmp_path: Path, question: str) -> None:
    answer = ask(tmp_path, question)
    assert "People are visible in 3 stretches" in answer.text
    assert "- from [00:00] to [00:18], up to 4 people at once [00:06]" in answer.text
    assert "- from [01:00] to [01:18]" in answer.text
    # Never a frame whose fields say nobody is there, whatever its description says.
    assert cited_frames(answer) and all(f["people_count"] > 0 for f in cited_frames(answer))


def test_vehicles_and_animals_map_to_the_detector_labels(tmp_path: Path) -> None:
    vehicle = ask(tmp_path / "a", "when does a vehicle appear?")
    assert "Cars are visible in 1 stretch" in vehicle.text and "[00:06]" in vehicle.text
    assert "Trucks are visible in 1 stretch" in vehicle.text and "at [01:10]" in vehicle.text
    dog = ask(tmp_path / "b", "is there a dog?")
    assert "- from [00:36] to [00:38]" in dog.text
    assert {f["index"] for f in cited_frames(dog)} == {18, 19}
    bike = ask(tmp_path / "c", "when do bikes pass?")
    assert "at [00:40]" in bike.text
    cat = ask(tmp_path / "d", "is there a cat?")
    assert "No cats were detected" in cat.text and cat.citations == []


def test_negations_never_match(tmp_path: Path) -> None:
    document = make_street_document(SESSION)
    # This frame's description says people walk, its detector found none: fields win.
    document["frames"][14]["description"] = "people walking on the street"
    empty = ask(tmp_path / "a", "when are there no people?", document)
    assert "Without people in 2 stretches" in empty.text
    assert {f["people_count"] for f in cited_frames(empty)} == {0}
    walking = ask(tmp_path / "b", "when do people walk past?", document)
    assert all(c.frame_index not in range(10, 15) for c in walking.citations)
    # "no faces detected; no people visible" (frames 12, 13) answers neither faces nor people.
    moments = ask(tmp_path / "c", "faces people", document)
    assert all(c.frame_index not in (12, 13, 14) for c in moments.citations)


def test_what_is_written_lists_the_text_with_first_appearance(tmp_path: Path) -> None:
    for question in ("What is written on screen?", "what does the sign say?", "any text?"):
        answer = ask(tmp_path / question[:6], question)
        assert '- "EXIT" from [00:50] (3 moments, until 00:54)' in answer.text
        assert '- "SALE 50%" from [00:56]' in answer.text
        assert [c.frame_index for c in answer.citations] == [25, 28]


def test_what_did_they_say_gives_the_transcript_citing_its_segments(tmp_path: Path) -> None:
    for question in ("What did they say?", "what is said", "show me the dialogue"):
        answer = ask(tmp_path / question[:6], question)
        for segment in STREET_SPEECH:
            assert segment["text"] in answer.text
    # [01:24]: no analysed frame is that late, the speech segment is the evidence.
    last = answer.citations[-1]
    assert (last.text, last.kind, last.segment_index, last.frame_index) == ("01:24", "speech", 3,
                                                                             None)  # fmt: skip
    assert answer.as_dict()["citations"][-1]["kind"] == "speech"


def test_what_did_they_say_about_a_topic(tmp_path: Path) -> None:
    answer = ask(tmp_path / "a", "what did they say about the harbour?")
    assert "The bus to the harbour leaves at noon." in answer.text
    assert "Good morning" not in answer.text
    assert [c.segment_index for c in answer.citations] == [2]
    none = ask(tmp_path / "b", "did anyone mention zebras?")
    assert "Nothing in the transcript mentions \u201czebras\u201d" in none.text


@pytest.mark.parametrize(
    ("speech", "words"),
    [
        ({"status": "none", "segments": []}, "no audio track"),
        ({"status": "off", "reason": "VIDEOLENS_SPEECH=off", "segments": []},
         "turned off for this analysis (VIDEOLENS_SPEECH=off)"),
        ({"status": "unavailable", "reason": "no decoder for codec 'xyz'", "segments": []},
         "could not be transcribed: no decoder for codec 'xyz'"),
        ({}, "no speech transcript"),
        ({"status": "ok", "segments": []}, "No speech was recognised"),
    ],
)  # fmt: skip
def test_without_speech_the_answer_says_why(
    tmp_path: Path, speech: dict[str, Any], words: str
) -> None:
    document = make_street_document(SESSION, speech=speech)
    answer = ask(tmp_path, "what did they say?", document)
    assert words in answer.text and answer.citations == []
    # The rest still works on a session without speech.
    assert "People are visible" in ask(tmp_path / "b", "when do people walk?", document).text


def test_time_anchors_narrow_the_intent_answers(tmp_path: Path) -> None:
    said = ask(tmp_path / "a", "what is said after 1:00?")
    assert "harbour" in said.text and "Good morning" not in said.text
    counted = ask(tmp_path / "b", "how many people are there between 0:30 and 0:50?")
    assert "At most 2 people at once between 00:30 and 00:50, at [00:32]" in counted.text


def test_citations_are_checked_against_frames_and_speech() -> None:
    document = make_street_document(SESSION)
    found = check_citations(
        "[00:06] [01:24] [01:27] [01:35] [00:37]",
        typed(document).frames,
        typed(document).speech.segments,  # type: ignore[union-attr]
    )
    assert [(c.valid, c.kind) for c in found] == [
        (True, "frame"), (True, "speech"), (True, "speech"), (False, None), (True, "frame"),
    ]  # fmt: skip
    assert found[4].segment_index == 1  # [00:37] is said in segment 1 and shows frame 18
    flagged = flag_invalid("at [01:24] and [01:35]", found)
    assert flagged == "at [01:24] and [01:35 — not an analysed moment]"


def test_an_unknown_question_still_gets_the_best_matching_moments(tmp_path: Path) -> None:
    answer = ask(tmp_path, "where is the EXIT?")
    assert "the best-matching moments" in answer.text and "[00:50]" in answer.text
    assert re.findall(r"\[(\d\d:\d\d)\]", answer.text)[0] == "00:50"


def test_a_store_of_older_sessions_keeps_working(tmp_path: Path) -> None:
    document = make_street_document(SESSION, speech={})
    for frame in document["frames"]:
        for name in ("detections", "people_count", "faces", "face_count"):
            frame.pop(name)
    store = store_document(tmp_path / "data" / "sessions", document)
    assert isinstance(store, SessionStore)
    answer = answer_question(chat_settings(tmp_path), store, SESSION, "how many people?")
    assert "At most 5 people at once" in answer.text  # from the "objects" lists


def test_the_model_gets_speech_and_detections_as_context(tmp_path: Path, openai_fake: Any) -> None:
    openai_fake.script(
        reply_text="They say the bus leaves at noon [01:01]; bye at [01:24], [01:40]."
    )
    store = store_document(tmp_path / "data" / "sessions", make_street_document(SESSION))
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)
    answer = answer_question(settings, store, SESSION, "what do they say about the bus?")
    context = openai_fake.requests("chat")[0]["json"]["messages"][1]["content"]
    assert 'speech (until 01:04): "The bus to the harbour leaves at noon."' in context
    assert "Speech: 4 transcribed segments (en)." in context
    assert [(c.text, c.valid, c.kind) for c in answer.citations] == [
        ("01:01", True, "frame"), ("01:24", True, "speech"), ("01:40", False, None),
    ]  # fmt: skip
