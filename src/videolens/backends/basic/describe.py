"""Turn the measurements of one frame into labels and a plain-language description."""

from __future__ import annotations

from dataclasses import dataclass

from videolens.backends.basic.colours import ColourShare
from videolens.backends.basic.faces import FaceBox

# Mean luma (0..255) upper bounds; at or above the last one a frame is "bright".
BRIGHTNESS_LABELS: tuple[tuple[float, str], ...] = ((50, "dark"), (100, "dim"), (170, "normal"))
# Motion is the sampler's mean absolute difference to the previous decoded frame (0..255).
MOTION_LABELS: tuple[tuple[float, str], ...] = ((1.0, "static"), (6.0, "some"))
DESCRIBED_COLOUR_SHARE = 0.15
"""Colours covering at least this share of the frame are named in the description (two at most)."""
QUOTED_LINES = 3
QUOTED_LINE_CHARS = 60

_BRIGHTNESS_WORDS = {"dark": "A dark", "dim": "A dim", "normal": "A", "bright": "A bright"}
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
    """One or two sentences, e.g. ``New shot. A bright frame dominated by blue and white, with
    the text "HARBOR" on screen; no faces detected.`` Deterministic; says only what was measured."""
    opening = f"{_BRIGHTNESS_WORDS[facts.brightness_label]} frame"
    named = [c.name for c in facts.colours if c.share >= DESCRIBED_COLOUR_SHARE][:2]
    if named:
        opening += " dominated by " + " and ".join(named)
    if facts.text:
        opening += ", with " + _quote_text(facts.text) + " on screen"
    clauses = [opening, _faces_clause(len(facts.faces))]
    if not facts.shot_change:
        clauses.append(_MOTION_WORDS[facts.motion_label])
    if not facts.text_read:
        clauses.append("on-screen text not read")
    sentence = "; ".join(clauses) + "."
    return f"New shot. {sentence}" if facts.shot_change else sentence


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


def _faces_clause(count: int) -> str:
    if count == 0:
        return "no faces detected"
    return f"{count} face{'s' if count > 1 else ''} detected"
