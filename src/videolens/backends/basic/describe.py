"""Turn the measurements of one frame into labels and a plain-language description."""

from __future__ import annotations

from dataclasses import dataclass

from videolens.backends.basic.colours import ColourShare
from videolens.backends.basic.faces import FaceBox
from videolens.backends.basic.objects import Detection, plural

# Mean luma (0..255) upper bounds; at or above the last one a frame is "bright".
BRIGHTNESS_LABELS: tuple[tuple[float, str], ...] = ((50, "dark"), (100, "dim"), (170, "normal"))
# Motion is the sampler's mean absolute difference to the previous decoded frame (0..255).
MOTION_LABELS: tuple[tuple[float, str], ...] = ((1.0, "static"), (6.0, "some"))
DESCRIBED_COLOUR_SHARE = 0.15
"""Colours covering at least this share of the frame are named in the description (two at most)."""
NAMED_GROUPS = 4
"""Kinds of things named in the description, people first then the most numerous."""
SIDE_MAX_WIDTH = 0.5
"""Things at least this wide (share of the frame) get no position: they are not "on the left"."""
QUOTED_LINES = 3
QUOTED_LINE_CHARS = 60

_BRIGHTNESS_WORDS = {"dark": "a dark", "dim": "a dim", "normal": "a", "bright": "a bright"}
_SIDES = ("on the left", "in the centre", "on the right")
_NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
)  # fmt: skip
_MOTION_WORDS = {"static": "little motion", "some": "some motion", "high": "a lot of motion"}


@dataclass
class FrameFacts:
    """What the basic backend measured in one frame."""

    brightness: float
    colours: list[ColourShare]
    faces: list[FaceBox]
    text: list[str]
    motion: float
    shot_change: bool
    text_read: bool = True
    detections: list[Detection] | None = None
    """None when the object detector did not run (not installed)."""

    @property
    def people_count(self) -> int:
        return sum(d.label == "person" for d in self.detections or [])

    @property
    def brightness_label(self) -> str:
        return _label(self.brightness, BRIGHTNESS_LABELS, "bright")

    @property
    def motion_label(self) -> str:
        """``"cut"`` on a shot's first frame: there the sampler's difference measures the cut."""
        if self.shot_change:
            return "cut"
        return _label(self.motion, MOTION_LABELS, "high")


def _label(value: float, bounds: tuple[tuple[float, str], ...], top: str) -> str:
    return next((label for bound, label in bounds if value < bound), top)


def describe_facts(facts: FrameFacts) -> str:
    """A plain-language sentence that leads with what is in the frame, e.g. ``Six people; a car
    on the right; the text "EXIT" on screen; a dim frame dominated by grey; some motion.``

    Deterministic, and says only what was measured: nothing absent is mentioned (the zero counts
    live in the structured fields). A shot's first frame ends with ``New shot.``.
    """
    clauses = _object_clauses(facts.detections or [])
    if facts.faces:
        count = len(facts.faces)
        clauses.append(f"{_counted(count, 'face', 'faces')} visible")
    if facts.text:
        clauses.append(_quote_text(facts.text) + " on screen")
    frame = f"{_BRIGHTNESS_WORDS[facts.brightness_label]} frame"
    named = [c.name for c in facts.colours if c.share >= DESCRIBED_COLOUR_SHARE][:2]
    if named:
        frame += " dominated by " + " and ".join(named)
    clauses.append(frame)
    if not facts.shot_change:
        clauses.append(_MOTION_WORDS[facts.motion_label])
    if not facts.text_read:
        clauses.append("on-screen text not read")
    if facts.detections is None:
        clauses.append("people and objects not looked for")
    sentence = "; ".join(clauses)
    sentence = sentence[0].upper() + sentence[1:] + "."
    return f"{sentence} New shot." if facts.shot_change else sentence


def _object_clauses(detections: list[Detection]) -> list[str]:
    """One clause per kind of thing ("three people", "a car on the right"), people first."""
    groups: dict[str, list[Detection]] = {}
    for detection in detections:
        groups.setdefault(detection.label, []).append(detection)
    order = sorted(groups, key=lambda label: (label != "person", -len(groups[label]), label))
    clauses = []
    for label in order[:NAMED_GROUPS]:
        members = groups[label]
        clause = _counted(len(members), label, plural(label))
        side = _side(members)
        clauses.append(f"{clause} {side}" if side else clause)
    return clauses


def _counted(count: int, singular: str, many: str) -> str:
    """``a car``, ``an airplane``, ``three people``, ``14 people``."""
    if count == 1:
        return f"{'an' if singular[0] in 'aeiou' else 'a'} {singular}"
    word = _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)
    return f"{word} {many}"


def _side(members: list[Detection]) -> str:
    """``on the left``/``in the centre``/``on the right`` when every box's centre lies in that
    third of the frame; ``""`` when they spread out or a box spans half the frame or more."""
    if any(d.box[2] - d.box[0] >= SIDE_MAX_WIDTH for d in members):
        return ""
    thirds = {min(2, int((d.box[0] + d.box[2]) / 2 * 3)) for d in members}
    return _SIDES[thirds.pop()] if len(thirds) == 1 else ""


def _quote_text(lines: list[str]) -> str:
    quoted = [_clip(line) for line in lines[:QUOTED_LINES]]
    more = len(lines) - len(quoted)
    items = [f'"{line}"' for line in quoted]
    if more:
        items.append(f"{more} more line{'s' if more > 1 else ''}")
    joined = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return ("the text " if len(lines) == 1 else "text lines ") + joined


def _clip(line: str) -> str:
    return line if len(line) <= QUOTED_LINE_CHARS else line[: QUOTED_LINE_CHARS - 1] + "…"
