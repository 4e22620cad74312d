"""Retrieval quality on a session with known content, and the time/order anchors."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray
from timeline_factory import make_document, typed

from videolens.chat.bm25 import tokenize
from videolens.chat.retrieval import Retriever, estimate_tokens
from videolens.chat.timeparse import format_timestamp, parse_anchor, parse_time


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return Retriever()


def test_a_word_shown_on_screen_ranks_the_frames_showing_it_first(retriever: Retriever) -> None:
    document = make_document()
    context = retriever.retrieve(typed(document), "Where does the word BAKERY appear?", 2000)
    showing = {f["index"] for f in document["frames"] if "BAKERY" in f["text"]}
    # Identical neighbours collapse to one moment, so the first moment is one of them and no
    # other frame ranks with it.
    assert context.moments[0].frame_index in showing
    assert all(m.frame_index in showing for m in context.moments)
    shop = retriever.retrieve(typed(document), "LINE 42 bus", 2000)
    assert shop.moments[0].frame_index in {26, 27, 28}


@pytest.mark.parametrize(
    ("question", "seconds"),
    [
        ("What is on screen at 1:30?", 90.0),
        ("what happens at 0:31", 30.0),
        ("describe the moment at 48 seconds", 48.0),
        ("what is there around 1 min", 60.0),
    ],
)
def test_a_time_anchored_question_retrieves_that_time(
    retriever: Retriever, question: str, seconds: float
) -> None:
    context = retriever.retrieve(typed(make_document()), question, 1500)
    assert abs(context.moments[0].timestamp_s - seconds) <= 1.5
    assert context.anchor is not None and context.anchor.kind == "at"


def test_after_an_event_retrieves_what_follows_it(retriever: Retriever) -> None:
    context = retriever.retrieve(typed(make_document()), "What happens after the car stops?", 1500)
    stop = 45.0  # "the red car stops at a traffic light"
    later = [m for m in context.moments if m.timestamp_s > stop]
    assert context.moments[0].timestamp_s == 48.0  # the very next moment: the cyclist
    assert later and all(m.timestamp_s > stop or m.timestamp_s == stop for m in context.moments)


def test_before_a_time_keeps_earlier_moments(retriever: Retriever) -> None:
    context = retriever.retrieve(typed(make_document()), "what boats are seen before 0:40", 1500)
    assert context.moments and all(m.timestamp_s < 40 for m in context.moments)
    assert "harbour" in context.moments[0].line


def test_between_two_times(retriever: Retriever) -> None:
    context = retriever.retrieve(typed(make_document()), "what happens between 1:00 and 1:10", 1500)
    assert 60 <= context.moments[0].timestamp_s <= 70


def test_the_end_and_the_beginning(retriever: Retriever) -> None:
    end = retriever.retrieve(typed(make_document()), "how does it end?", 1500)
    assert end.moments[0].timestamp_s >= 100
    start = retriever.retrieve(typed(make_document()), "what is shown first?", 1500)
    assert start.moments[0].timestamp_s <= 6


def test_the_budget_is_kept_and_the_overview_covers_the_video(retriever: Retriever) -> None:
    document = make_document()
    for budget in (200, 600, 3000):
        context = retriever.retrieve(typed(document), "the red car in the street", budget)
        assert context.tokens <= budget
        assert estimate_tokens(context.overview) <= budget * 0.25 + 40
        assert "02:00 long" in context.overview
    question = "car street harbour boats bakery market bus sea credits"
    small = retriever.retrieve(typed(document), question, 200)
    large = retriever.retrieve(typed(document), question, 3000)
    assert len(small.moments) < len(large.moments)
    assert "Relevant moments" in large.render()


def test_repeated_identical_moments_are_collapsed(retriever: Retriever) -> None:
    context = retriever.retrieve(typed(make_document()), "sunset over the sea", 3000)
    sunsets = [m for m in context.moments if "sun sets" in m.line]
    assert len(sunsets) == 1  # four identical frames 3 s apart say the same thing


def test_no_match_gives_no_moments_but_an_overview(retriever: Retriever) -> None:
    context = retriever.retrieve(typed(make_document()), "zebra giraffe", 1000)
    assert context.moments == []
    assert "no analysed moment" in context.render()


def test_the_index_is_built_once_per_document_version() -> None:
    retriever = Retriever()
    document = make_document()
    assert retriever.index(typed(document)) is retriever.index(typed(make_document()))
    changed = make_document(updated_at="2025-01-02T00:00:00+00:00")
    assert retriever.index(typed(changed)) is not retriever.index(typed(document))


class WordHashEmbedder:
    """A deterministic stand-in for a sentence model: bag of word hashes, normalised."""

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        # crc32, not hash(): str hashes change with every process (PYTHONHASHSEED), and a
        # collision between buckets made this test pass or fail by chance.
        vectors = np.zeros((len(texts), 1024), dtype=np.float32)
        synonyms = {"motorcar": "car", "roadster": "car"}
        for row, text in enumerate(texts):
            for word in tokenize(text):
                vectors[row, zlib.crc32(synonyms.get(word, word).encode()) % 1024] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def test_embeddings_find_paraphrases_no_keyword_matches() -> None:
    document = make_document()
    # "motorcar" is in no vocabulary: without embeddings it finds nothing.
    assert Retriever().retrieve(typed(document), "motorcar", 1000).moments == []
    context = Retriever(WordHashEmbedder()).retrieve(typed(document), "motorcar", 1000)
    assert context.moments and "car" in context.moments[0].line


def test_label_synonyms_match_without_embeddings() -> None:
    # The detector's vocabulary: "automobile" means a car, "pedestrians" means people.
    context = Retriever().retrieve(typed(make_document()), "automobile", 1000)
    assert context.moments and all("car" in m.line for m in context.moments)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1:30", 90.0), ("01:02:03", 3723.0), ("90 seconds", 90.0), ("2 min", 120.0), ("x", None)],
)
def test_parse_time(text: str, seconds: float | None) -> None:
    assert parse_time(text) == seconds


def test_parse_anchor_forms() -> None:
    assert parse_anchor("what color is the sky") is None
    event = parse_anchor("what happens after the car stops?")
    assert event is not None and event.kind == "after" and event.event == "the car stops"
    assert format_timestamp(3723.9) == "1:02:03"
    assert format_timestamp(89.99) == "01:29"


def test_a_moment_line_counts_people_once() -> None:
    """The detector fills `people` with one "person" each; the line says "7 people" once, not
    "people: person" beside it. A model's descriptions of people stay."""
    from videolens.chat.timeline_text import moment_line
    from videolens.timeline.model import Moment

    detected = {
        "timestamp_s": 30.0, "description": "Seven people; a car on the right.",
        "objects": ["7 people", "car"], "people": ["person"] * 7,
    }  # fmt: skip
    line = moment_line(Moment.model_validate(detected))
    assert "objects: 7 people, car" in line and "people:" not in line
    described = {**detected, "people": ["a man in a red coat"]}
    assert "people: a man in a red coat" in moment_line(Moment.model_validate(described))
