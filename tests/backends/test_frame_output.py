"""The per-frame prompt and the tolerant reader of model replies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videolens.backends.frame_output import (
    FRAME_PROMPT,
    MAX_ITEMS,
    ParsedFrame,
    build_frame_prompt,
    parse_frame_reply,
    read_frame_reply,
)


def _entry(number: int | None, description: str, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"description": description, **fields}
    if number is not None:
        entry["frame"] = number
    return entry


def _descriptions(frames: list[ParsedFrame | None]) -> list[str | None]:
    return [frame.description if frame else None for frame in frames]


TWO = json.dumps(
    {
        "frames": [
            _entry(1, "a red car", objects=["car"], people=[], text=["STOP"], actions=["parked"]),
            _entry(2, "a man walking", objects=[], people=["man in a coat"], actions=["walking"]),
        ]
    }
)


# --- the prompt ----------------------------------------------------------------------------------


def test_the_prompt_names_the_count_and_the_shape() -> None:
    one, four = build_frame_prompt(1), build_frame_prompt(4)
    assert "one image" in one
    assert "4 images" in four
    assert "numbered 1 to 4" in four
    for prompt in (one, four):
        assert "{images}" not in prompt
        assert '"frames"' in prompt
        for name in ("description", "objects", "people", "text", "actions"):
            assert f'"{name}"' in prompt
    assert "{images}" in FRAME_PROMPT


def test_a_custom_prompt_replaces_the_default_and_keeps_the_shape() -> None:
    prompt = build_frame_prompt(3, "Describe the {count} frames for a wildlife survey.")
    assert prompt.startswith("Describe the 3 frames for a wildlife survey.")
    assert '"frames"' in prompt  # the format rules were appended
    assert "numbered 1 to" not in prompt  # the default text was not


def test_a_custom_prompt_with_its_own_shape_is_sent_as_is() -> None:
    custom = 'Return {"frames": [{"frame": n, "description": "..."}]} for {count} images.'
    assert build_frame_prompt(2, custom) == custom.replace("{count}", "2")


def test_a_blank_custom_prompt_means_the_default() -> None:
    assert build_frame_prompt(2, "  \n") == build_frame_prompt(2, None)


# --- the parser: shapes --------------------------------------------------------------------------


def test_the_requested_shape() -> None:
    first, second = parse_frame_reply(TWO, 2)
    assert first == ParsedFrame(
        description="a red car", objects=["car"], text=["STOP"], actions=["parked"]
    )
    assert second == ParsedFrame(
        description="a man walking", people=["man in a coat"], actions=["walking"]
    )
    assert read_frame_reply(TWO, 2).problems == []


@pytest.mark.parametrize(
    "wrap",
    [
        lambda body: f"```json\n{body}\n```",
        lambda body: f"```\n{body}\n```",
        lambda body: f"Here are the frames:\n```json\n{body}\n```\nHope this helps!",
        lambda body: f"Sure! {body} Let me know.",
        lambda body: f"<think>frame {{1}} is [red]</think>{body}",
        lambda body: f"```json\n{body}",  # an unclosed fence
        lambda body: f"  \n{body}\n\n",
    ],
)
def test_json_inside_fences_or_prose(wrap: Any) -> None:
    assert _descriptions(parse_frame_reply(wrap(TWO), 2)) == ["a red car", "a man walking"]


def test_a_bare_list() -> None:
    reply = json.dumps([_entry(1, "one"), _entry(2, "two")])
    result = read_frame_reply(reply, 2)
    assert _descriptions(result.frames) == ["one", "two"]
    assert any("bare list" in problem for problem in result.problems)


def test_a_single_object_for_a_single_frame() -> None:
    (frame,) = parse_frame_reply(json.dumps({"description": "a cat", "objects": ["cat"]}), 1)
    assert frame == ParsedFrame(description="a cat", objects=["cat"])


def test_one_object_per_line() -> None:
    reply = "\n".join(json.dumps(_entry(n, f"frame {n}")) for n in (1, 2, 3))
    assert _descriptions(parse_frame_reply(reply, 3)) == ["frame 1", "frame 2", "frame 3"]


def test_frames_keyed_by_name() -> None:
    reply = json.dumps({"frame_2": {"description": "b"}, "frame_1": {"description": "a"}})
    assert _descriptions(parse_frame_reply(reply, 2)) == ["a", "b"]
    nested = json.dumps({"frames": {"1": {"description": "a"}, "2": {"description": "b"}}})
    assert _descriptions(parse_frame_reply(nested, 2)) == ["a", "b"]


def test_frames_are_placed_by_number_not_position() -> None:
    reply = json.dumps({"frames": [_entry(3, "c"), _entry(1, "a"), _entry(2, "b")]})
    assert _descriptions(parse_frame_reply(reply, 3)) == ["a", "b", "c"]


def test_numbers_as_strings_and_other_keys() -> None:
    reply = json.dumps(
        {"frames": [{"image": "Image 2", "description": "b"}, {"index": 1.0, "caption": "a"}]}
    )
    assert _descriptions(parse_frame_reply(reply, 2)) == ["a", "b"]


def test_zero_based_numbers_are_read_as_positions() -> None:
    reply = json.dumps({"frames": [_entry(0, "a"), _entry(1, "b")]})
    result = read_frame_reply(reply, 2)
    assert _descriptions(result.frames) == ["a", "b"]
    assert any("from 0" in problem for problem in result.problems)


def test_entries_without_numbers_go_by_position() -> None:
    reply = json.dumps({"frames": [_entry(None, "a"), _entry(None, "b")]})
    frames = parse_frame_reply(reply, 2)
    assert _descriptions(frames) == ["a", "b"]
    assert all(f and "placed by its position" in f.problems[0] for f in frames)


def test_plain_strings_as_entries() -> None:
    frames = parse_frame_reply(json.dumps({"frames": ["a dog", "a cat"]}), 2)
    assert _descriptions(frames) == ["a dog", "a cat"]


def test_a_single_frame_in_prose_keeps_the_prose() -> None:
    (frame,) = parse_frame_reply("A  red car\nparked by a tree.", 1)
    assert frame is not None
    assert frame.description == "A red car parked by a tree."
    assert frame.problems == ["the reply was not JSON; its text is kept as the description"]


# --- the parser: what is wrong -------------------------------------------------------------------


def test_a_missing_frame_is_none_and_recorded() -> None:
    reply = json.dumps({"frames": [_entry(1, "a"), _entry(3, "c")]})
    result = read_frame_reply(reply, 3)
    assert _descriptions(result.frames) == ["a", None, "c"]
    assert "no entry for frame 2" in result.problems


def test_a_cut_off_reply_keeps_the_complete_frames() -> None:
    whole = json.dumps({"frames": [_entry(1, "a"), _entry(2, "b"), _entry(3, "c")]})
    cut = whole[: whole.index('"c"') + 1]  # stopped mid third frame (max_tokens)
    assert _descriptions(parse_frame_reply(cut, 3)) == ["a", "b", None]


@pytest.mark.parametrize(
    "reply",
    ["", "   ", "I cannot describe these images.", "{not json", '{"foo": 1}', "[1, 2, 3]", "null"],
)
def test_nothing_usable_for_several_frames(reply: str) -> None:
    result = read_frame_reply(reply, 2)
    assert result.frames == [None, None]
    assert not result.found_any
    assert result.problems


@pytest.mark.parametrize(
    "reply", ["", '{"foo": 1}', "[1, 2]", '{"description": "cut', "```json\n{"]
)
def test_nothing_usable_for_one_frame(reply: str) -> None:
    assert parse_frame_reply(reply, 1) == [None]


def test_wrong_types_are_coerced_or_dropped() -> None:
    reply = json.dumps(
        {
            "frames": [
                {
                    "frame": 1,
                    "description": ["A red car.", "It is parked."],
                    "objects": "car",
                    "people": ["woman", 3, None, {"name": "x"}, "  "],
                    "text": None,
                    "actions": {"walking": True},
                    "confidence": 0.9,  # extra fields are ignored
                    "Objects_extra": ["ignored"],
                }
            ]
        }
    )
    (frame,) = parse_frame_reply(reply, 1)
    assert frame is not None
    assert frame.description == "A red car. It is parked."
    assert frame.objects == ["car"]
    assert frame.people == ["woman"]
    assert frame.text == []
    assert frame.actions == []
    assert "description was a list; joined" in frame.problems
    assert "objects was a string; kept as one item" in frame.problems
    assert "people: 3 items not text; dropped" in frame.problems
    assert "actions was dict; dropped" in frame.problems


def test_a_frame_without_a_description_keeps_its_lists() -> None:
    (frame,) = parse_frame_reply(json.dumps({"frames": [{"frame": 1, "objects": ["cup"]}]}), 1)
    assert frame == ParsedFrame(objects=["cup"], problems=["no description"])


def test_duplicates_and_out_of_range_entries_are_dropped() -> None:
    reply = json.dumps({"frames": [_entry(1, "a"), _entry(1, "again"), _entry(9, "z"), 5]})
    result = read_frame_reply(reply, 2)
    assert _descriptions(result.frames) == ["a", None]
    assert "a second entry for frame 1 was dropped" in result.problems
    assert "an entry for frame 9 of 2 was dropped" in result.problems
    assert "entry 4 is not an object; dropped" in result.problems


def test_runaway_lists_are_capped() -> None:
    reply = json.dumps({"frames": [_entry(1, "a", objects=[f"o{i}" for i in range(80)])]})
    (frame,) = parse_frame_reply(reply, 1)
    assert frame is not None
    assert len(frame.objects) == MAX_ITEMS


def test_zero_frames() -> None:
    assert parse_frame_reply(TWO, 0) == []


def test_deep_nesting_does_not_raise() -> None:
    assert parse_frame_reply("[" * 100_000 + "]" * 100_000, 2) == [None, None]
    assert parse_frame_reply("{" * 50_000, 1) == [None]


# --- properties ----------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["frame", "frames", "description", "objects", "text", "people", "x"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), count=st.integers(min_value=0, max_value=6))
def test_never_raises_on_any_text(text: str, count: int) -> None:
    frames = parse_frame_reply(text, count)
    assert len(frames) == count
    assert all(frame is None or isinstance(frame, ParsedFrame) for frame in frames)


@settings(max_examples=120, deadline=None)
@given(value=JSON_VALUES, count=st.integers(min_value=1, max_value=4), fenced=st.booleans())
def test_never_raises_on_any_json_and_keeps_only_strings(
    value: Any, count: int, fenced: bool
) -> None:
    text = json.dumps(value)
    frames = parse_frame_reply(f"```json\n{text}\n```" if fenced else text, count)
    assert len(frames) == count
    for frame in frames:
        if frame is not None:
            assert isinstance(frame.description, str)
            for name in ("objects", "people", "text", "actions"):
                assert all(isinstance(item, str) and item for item in getattr(frame, name))


@settings(max_examples=100, deadline=None)
@given(
    descriptions=st.lists(
        st.text(min_size=1, max_size=30).filter(lambda s: s.strip() == s and s),
        min_size=1,
        max_size=6,
    ),
    order=st.randoms(use_true_random=False),
)
def test_well_formed_replies_round_trip_in_any_order(descriptions: list[str], order: Any) -> None:
    entries = [_entry(n, d) for n, d in enumerate(descriptions, start=1)]
    order.shuffle(entries)
    reply = json.dumps({"frames": entries})
    assert _descriptions(parse_frame_reply(reply, len(descriptions))) == descriptions
