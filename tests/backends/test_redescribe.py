"""A basic moment told again from the detections the tracks leave on it."""

from __future__ import annotations

from videolens.backends.basic.redescribe import redescribe
from videolens.timeline.model import Colour, Detection, Moment


def _person(x: float, track_id: int) -> Detection:
    return Detection(label="person", score=0.8, box=[x, 0.3, x + 0.05, 0.6], track_id=track_id)


def _described(detections: list[Detection]) -> Moment:
    return Moment(
        index=0,
        timestamp_s=0.0,
        description="A frame dominated by grey and green. New shot.",
        model="basic",
        brightness=120.0,
        colours=[
            Colour(name="grey", hex="#808080", share=0.5),
            Colour(name="green", hex="#00a000", share=0.3),
        ],
        faces=[],
        text=[],
        motion=3.0,
        shot_change=True,
        text_read=True,
        detections=detections,
        objects=[],
        people=[],
    )


def test_the_sentence_says_the_people_the_tracks_leave_on_the_moment() -> None:
    """The first frame of vtest.avi read "A frame dominated by grey and green." while its
    detections (from the stitched tracks) held three people: the words must follow them."""
    told = redescribe(_described([_person(0.3, 1), _person(0.6, 2), _person(0.8, 3)]))
    assert told.description.startswith("Three people;"), told.description
    assert told.description.endswith("New shot.")
    assert told.people_count == 3
    assert told.objects == ["3 people"]
    assert told.people == ["person"] * 3


def test_another_models_words_are_left_alone() -> None:
    moment = _described([_person(0.3, 1)]).model_copy(update={"model": "qwen2.5-vl"})
    assert redescribe(moment).description == moment.description


def test_an_unreadable_frame_is_not_told_again() -> None:
    moment = _described([_person(0.3, 1)]).model_copy(update={"readable": False})
    assert redescribe(moment) is moment
