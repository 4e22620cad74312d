"""Event rules: parsing (with a clear error), matching what a backend saw or read, and firing
once per appearance."""

from __future__ import annotations

from typing import Any

import pytest

from videolens.streams.errors import InvalidRuleError
from videolens.streams.rules import Rule, evaluate, match, parse_rule, parse_rules
from videolens.timeline.model import Moment


def _frame(seq: int, at: float, **fields: Any) -> Moment:
    return Moment.model_validate({"seq": seq, "at": at, "description": "d", **fields})


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("person", "label:person"),
        ("Car", "label:car"),
        ("label:traffic light", "label:traffic light"),
        ("word:EXIT", "word:exit"),
        ("word: Fire  Exit ", "word:fire exit"),
        ("shot", "shot"),
        ("SHOT", "shot"),
    ],
)
def test_rules_parse_to_their_canonical_form(text: str, spec: str) -> None:
    assert parse_rule(text).spec == spec


@pytest.mark.parametrize("text", ["", "word:", "colour:red", "shot:cut", "word:!!!", "label:"])
def test_a_rule_that_does_not_parse_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidRuleError, match="word:TEXT"):
        parse_rule(text)


def test_duplicates_collapse_and_too_many_rules_are_refused() -> None:
    assert parse_rules(["person", "label:person", "shot"]) == [
        Rule("label", "person"),
        Rule("shot"),
    ]
    with pytest.raises(InvalidRuleError, match="at most 20"):
        parse_rules([f"word:w{i}" for i in range(21)])


def test_words_match_whole_words_on_screen_or_in_speech() -> None:
    rule = parse_rule("word:exit")
    assert match(rule, _frame(0, 0, text=["EMERGENCY EXIT"])) == "'EMERGENCY EXIT' on screen"
    assert match(rule, _frame(0, 0, speech=["Use the exit, please."])) is not None
    assert match(rule, _frame(0, 0, text=["EXITS", "NEXT"])) is None
    assert match(parse_rule("word:fire exit"), _frame(0, 0, text=["FIRE-EXIT"])) is not None


def test_labels_match_detections_people_and_object_words() -> None:
    person, car = parse_rule("person"), parse_rule("car")
    assert match(person, _frame(0, 0, people=["person"])) == "person"
    assert (
        match(car, _frame(0, 0, detections=[{"label": "car", "score": 0.9, "box": [0, 0, 1, 1]}]))
        == "car"
    )
    assert match(car, _frame(0, 0, objects=["2 cars", "a dog"])) == "2 cars"
    assert match(car, _frame(0, 0, objects=["a red car parked"])) == "a red car parked"
    assert match(car, _frame(0, 0, objects=["carpet", "scar"])) is None
    assert match(person, _frame(0, 0, objects=["3 people"])) == "3 people"
    assert match(person, _frame(0, 0, people=[], objects=[])) is None


def test_an_appearance_fires_once_until_it_has_been_gone_a_while() -> None:
    rules = [parse_rule("word:exit"), parse_rule("shot")]
    last: dict[str, float] = {}
    seen = [_frame(i, 100.0 + 2 * i, text=["EXIT"], shot_start=i == 1) for i in range(3)]
    events = evaluate(rules, seen, last, rearm_s=10)
    assert [(e.rule, e.seq) for e in events] == [("word:exit", 0), ("shot", 1)]
    assert events[0].event_id == "0000000000-0" and events[1].event_id == "0000000001-1"
    # Across windows: still in view 2 s later is no new event; back after 20 s away is.
    assert evaluate(rules, [_frame(3, 106.0, text=["EXIT"])], last, rearm_s=10) == []
    again = evaluate(rules, [_frame(4, 126.5, text=["EXIT"])], last, rearm_s=10)
    assert [e.seq for e in again] == [4]
    assert last["word:exit"] == 126.5
