"""A basic-analyzer moment told again once the detection pass's tracks say who is there.

The basic backend describes a frame with the detections it is given when its batch runs; the
tracks are stitched later and may add someone the detector missed in that frame (a walker
hidden for a moment) or drop a box no track confirms. The moment's count, its labels and its
sentence must then agree with the detections it finally carries, so they are told again from
the measurements stored on the moment (brightness, colours, faces, text, motion, cut).
"""

from __future__ import annotations

from videolens.backends.basic.backend import BasicBackend
from videolens.backends.basic.colours import ColourShare
from videolens.backends.basic.describe import FrameFacts, describe_facts
from videolens.backends.basic.faces import FaceBox
from videolens.backends.basic.objects import Detection, count_labels
from videolens.timeline.model import Moment


def redescribe(moment: Moment) -> Moment:
    """``moment`` with its description, objects and people told from its detections when the
    basic analyzer described it; any other model's words are its own and are left alone."""
    if moment.model != BasicBackend.NAME or moment.readable is False:
        return moment
    if moment.detections is None or moment.brightness is None:
        return moment
    facts = FrameFacts(
        brightness=moment.brightness,
        colours=[ColourShare(c.name, c.hex, c.share) for c in moment.colours or []],
        faces=[FaceBox(f.x, f.y, f.w, f.h) for f in moment.faces or []],
        text=list(moment.text),
        motion=moment.motion or 0.0,
        shot_change=bool(moment.shot_change),
        text_read=moment.text_read is not False,
        detections=[
            Detection(d.label, d.score, (d.box[0], d.box[1], d.box[2], d.box[3]), d.colour)
            for d in moment.detections
        ],
    )
    return moment.model_copy(
        update={
            "description": describe_facts(facts),
            "objects": count_labels(facts.detections or []),
            "people": ["person"] * facts.people_count,
            "people_count": facts.people_count,
        }
    )
