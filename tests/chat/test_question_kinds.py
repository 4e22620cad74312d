"""Questions as people ask them, each read as its kind (``question_kinds``) and answered offline
through the real path (a stored session, ``answer_question``): the count, the colour, the moment
cited are the known ones; what cannot be answered is declined in one sentence, with no moments
offered as an answer and no time window the question did not name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_answer import chat_settings
from timeline_factory import make_document, make_street_document, store_document
from track_factory import DISTINCT_PEOPLE, make_tracked_street_document

from videolens.chat.answer import Answer, answer_question
from videolens.chat.intents import classify
from videolens.chat.question_kinds import QUESTION_KINDS, kinds_markdown

SESSION = "street000000"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "question-kinds.md"


@dataclass(frozen=True)
class Case:
    """A question, its kind, and what its answer must (``has``) and must not (``lacks``) say;
    ``cites``: the first citations, in order; ``on``: the session (``tracked`` street scene,
    the ``street`` scene without tracks, the ``city`` one with no detector)."""

    question: str
    kind: str
    has: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    on: str = "tracked"


DECLINED = "offline, I can count people and objects"
NO_WINDOW = (" before 00:", " after 01:", " between 00:")

# fmt: off
CASES = [
    # How many different: tracks, or honestly "at most N at once" without them.
    Case("How many different people walked past?", "distinct",
         (f"{DISTINCT_PEOPLE} different people were tracked",), ("00:00", "01:02")),
    Case("how many distinct people are there in total?", "distinct",
         (f"{DISTINCT_PEOPLE} different people were tracked",)),
    Case("How many people walked by?", "distinct", ("2 were already in view at the start",)),
    Case("how many cars drove past?", "distinct", ("1 car was tracked, in view from 00:05",)),
    Case("how many different people were there after 1:00?", "distinct",
         ("2 different people were tracked after 01:00",), ("01:00", "01:02")),
    Case("How many different people walked past?", "distinct",
         ("only known from tracking", "At most 5 people at once, at [01:06]"), on="street"),
    # At most at once.
    Case("How many people are there?", "count",
         ("At most 5 people at once", f"The tracker followed {DISTINCT_PEOPLE} different"),
         ("01:06",)),
    Case("how many dogs are there?", "count", ("At most a dog at once, at [00:36]",)),
    Case("how many people are there between 0:30 and 0:50?", "count",
         ("At most 2 people at once between 00:30 and 00:50",)),
    # First seen: an order, never "the first 15 s".
    Case("When does someone first appear?", "first",
         ("The first person is seen at 00:00, already in view at the start",
          "comes at 00:03, coming in at the left edge"), ("00:00", "00:04"), NO_WINDOW),
    Case("when does the first car show up?", "first",
         ("The first car is seen at 00:05, coming in at the right edge",), ("00:06",), NO_WINDOW),
    Case("When did the dog first appear?", "first", ("00:35, coming in at the left edge",),
         ("00:36",), NO_WINDOW),
    Case("When does someone first appear?", "first",
         ("People are first seen at [00:00]", "no tracks"), ("00:00",), NO_WINDOW, on="street"),
    # Leaving.
    Case("When does the last person leave?", "leave",
         ("The last person to leave goes at 00:46, at the right edge", "2 still in view"),
         ("00:46",), NO_WINDOW),
    Case("when does the car leave?", "leave",
         ("The car is last seen at 00:10, leaving at the left edge",), ("00:10",)),
    Case("When do people leave?", "leave", ("6 of 8 tracked people leave",),
         ("00:08", "00:12")),
    Case("when was the truck last seen?", "leave", ("The truck is last seen at 01:11",),
         ("01:10",), NO_WINDOW),
    Case("When does the last person leave?", "leave",
         ("People are last seen at [01:18]", "who leaves when is not known"), on="street"),
    # Which way.
    Case("Which way do they go?", "direction",
         ("Of 8 people tracked: 4 left to right", "2 right to left")),
    Case("which direction is the car heading?", "direction",
         ("The car tracked went right to left",), ("00:08",)),
    Case("do people go from left to right?", "direction", ("4 left to right",)),
    Case("Which way do they go?", "direction", ("only known from tracking",), on="street"),
    # Colours.
    Case("What colour is the van?", "colour", ("The car tracked is white",
                                              "The truck tracked is white"), ("00:08",)),
    Case("what color is the car?", "colour", ("is white (measured on its own pixels)",)),
    Case("Is the car white?", "colour", ("Yes: the car tracked is white",)),
    Case("is the car red?", "colour", ("No car measured red",)),
    Case("what colour is the dog?", "colour", ("The dog tracked is brown",), ("00:38",)),
    Case("What colours are the people?", "colour", ("2 red", "1 green")),
    Case("What colour is the van?", "colour", ("The colour of cars was not measured",),
         on="street"),
    # Presence, and a no only where the detector looked.
    Case("Is there a dog?", "presence", ("- from [00:36] to [00:38]",), ("00:36",)),
    Case("When are cars visible?", "presence", ("Cars are visible in 1 stretch",), ("00:06",)),
    Case("Is there a horse?", "presence",
         ("No horse was detected in the 90 s analysed (the detector looked at 5 frames",)),
    Case("are there any cats?", "presence", ("No cat was detected in the 90 s analysed",)),
    Case("is there a horse?", "presence",
         ("No horses were detected in any of the 40 analysed moments",), on="street"),
    Case("is there a horse?", "presence", ("no object detector ran", "not a certain no"),
         on="city"),
    # Text, speech, summary, finding moments.
    Case("What does the sign say?", "text", ('"EXIT" from [00:50]',), ("00:50",)),
    Case("what did they say about the dog?", "speech", ("Watch out for the dog",), ("00:36",)),
    Case("Summarize the video", "summary", ("Extractive summary",)),
    Case("Where is the EXIT?", "find", ("the best-matching moments",), ("00:50",)),
    Case("show me the shop window", "find", ("SALE 50%",), ("00:56",)),
    # Declined: one sentence, nothing cited.
    Case("what colour is her dress?", "declined", ("colour of a piece of clothing", DECLINED)),
    Case("What colour is the man's jacket?", "declined", ("clothes are not picked out",)),
    Case("Why did he stop?", "declined", ("I can't tell why", DECLINED)),
    Case("Who is the man with the dog?", "declined", ("I can't tell who anyone is",)),
    Case("How fast is the car going?", "declined", ("speed is not measured",)),
    Case("How old is the woman?", "declined", ("ages are not estimated",)),
    Case("Is she happy?", "declined", ("moods are not measured",)),
    Case("is it raining?", "declined", ("I can't answer this kind of question",)),
    Case("What is the weather like?", "declined", (DECLINED,)),
    Case("Which way do they go?", "direction", ("only known from tracking",), on="city"),
    Case("what is the man wearing?", "declined", ("clothes are not picked out",)),
    Case("Where was this filmed?", "declined", (DECLINED,)),
    Case("How many people are wearing red?", "colour", ("Yes:", "2 red")),
    Case("Who is visible?", "presence", ("People are visible in 3 stretches",)),
    Case("Are there any animals?", "presence", ("Dogs are visible in 1 stretch",), ("00:36",)),
    Case("How long is the video?", "summary", ("a 01:30 video",)),
    Case("Who came first?", "first", ("The first person is seen at 00:00",), lacks=NO_WINDOW),
    Case("how many people come and go?", "distinct", ("8 different people were tracked",)),
]
# fmt: on

DOCUMENTS = {
    "tracked": make_tracked_street_document,
    "street": make_street_document,
    "city": lambda: make_document(SESSION),
}


def ask(tmp_path: Path, question: str, document: dict[str, Any]) -> Answer:
    store = store_document(tmp_path / "data" / "sessions", document)
    answer = answer_question(chat_settings(tmp_path), store, SESSION, question)
    assert answer.mode == "retrieval"
    assert all(c.valid for c in answer.citations), answer.text
    return answer


@pytest.mark.parametrize("case", CASES, ids=[f"{c.on}: {c.question}" for c in CASES])
def test_a_question_is_read_as_its_kind_and_answered_as_that_kind(
    tmp_path: Path, case: Case
) -> None:
    assert classify(case.question).kind == case.kind
    answer = ask(tmp_path, case.question, DOCUMENTS[case.on]())
    for words in case.has:
        assert words in answer.text, answer.text
    for words in case.lacks:
        assert words not in answer.text, answer.text
    cited = [c.text for c in answer.citations]
    assert cited[: len(case.cites)] == list(case.cites), answer.text
    if case.kind == "declined":
        assert answer.citations == [] and len(re.findall(r"[.?!](?:\s|$)", answer.text)) == 2
    if case.kind != "find":
        assert "best-matching" not in answer.text


def test_there_are_forty_questions_and_every_kind_is_asked() -> None:
    assert len(CASES) >= 40
    assert {c.kind for c in CASES} == {k.name for k in QUESTION_KINDS}


def test_the_docs_show_the_table_kept_in_code() -> None:
    assert kinds_markdown() in DOCS.read_text(encoding="utf-8")


def test_the_chat_model_is_given_the_tracks(tmp_path: Path, openai_fake: Any) -> None:
    openai_fake.script(reply_text="Eight different people pass [00:00].")
    store = store_document(tmp_path / "data" / "sessions", make_tracked_street_document())
    settings = chat_settings(tmp_path, chat_base_url=openai_fake.base_url)
    answer_question(settings, store, SESSION, "how many different people walked past?")
    context = openai_fake.requests("chat")[0]["json"]["messages"][1]["content"]
    assert "Tracks (different objects followed across frames, 5 fps): 8 people, a car" in context
    assert "#5 car 00:05\u201300:10, in at right, out at left, right to left, white" in context


def test_a_track_found_again_is_counted_once_and_the_answer_says_why(tmp_path: Path) -> None:
    from track_factory import make_broken_tracks_document

    answer = ask(tmp_path, "how many different people walked past?", make_broken_tracks_document())
    assert answer.text.startswith(
        "Retrieval only (no chat model configured). About 4 people passed through, one who "
        "leaves and comes back counted each time: 5 were tracked, and 1 of those tracks began "
        "inside the frame within 4 s of another ending there"
    ), answer.text
    assert "1 was already in view at the start; 3 came later." in answer.text


def test_a_count_names_the_passages_not_the_tracks_when_tracks_were_found_again(
    tmp_path: Path,
) -> None:
    from track_factory import make_broken_tracks_document

    answer = ask(tmp_path, "how many people are there?", make_broken_tracks_document())
    assert "(The tracker followed about 4 people passing through" in answer.text, answer.text
    assert "5 different people" not in answer.text
