"""The structured per-frame output the model backends ask for, and a tolerant reader of replies.

One prompt asks a vision model for a JSON object per image of a request::

    {"frames": [{"frame": 1, "description": "...", "objects": [...], "people": [...],
                 "text": [...], "actions": [...]}]}

Models do not always comply, so ``parse_frame_reply`` keeps whatever is usable: JSON in code
fences or surrounded by prose, a bare list, a single object for a single frame, one object per
line, a reply cut off mid-way (the complete frames are kept), 0-based frame numbers, strings where
lists belong. What it had to fix or drop is recorded in ``ParsedFrame.problems``; a frame it found
nothing for is ``None``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from videolens.backends.base import FrameDescription

FRAME_PROMPT = """\
You are shown {images}.
For each frame, describe what is visible. Reply with JSON only, no other text, in this shape:
{"frames": [{"frame": 1, "description": "...", "objects": ["..."], "people": ["..."], \
"text": ["..."], "actions": ["..."]}]}
Rules:
- exactly one entry per frame; "frame" is its number (1 is the first image)
- "description": one or two plain sentences about the scene
- "objects": the notable objects
- "people": each person visible, briefly (for example "man in a red jacket")
- "text": text readable in the frame, verbatim; never guess unreadable text
- "actions": what is happening
- use [] for a field with nothing in it"""
"""The default prompt; ``build_frame_prompt`` fills ``{images}``."""

FORMAT_RULES = """\
Reply with JSON only, in this shape, one entry per image ("frame" is its number, 1 = first):
{"frames": [{"frame": 1, "description": "...", "objects": ["..."], "people": ["..."], \
"text": ["..."], "actions": ["..."]}]}"""
"""Appended to a user's prompt that does not spell out the ``"frames"`` shape itself."""

LIST_FIELDS = ("objects", "people", "text", "actions")
_ALIASES: dict[str, tuple[str, ...]] = {
    "description": ("description", "caption", "summary", "scene"),
    "objects": ("objects", "items"),
    "people": ("people", "persons", "person"),
    "text": ("text", "visible_text", "on_screen_text", "ocr"),
    "actions": ("actions", "activities", "action"),
}
_NUMBER_KEYS = ("frame", "frame_number", "index", "image", "id")
MAX_DESCRIPTION_CHARS = 2000
MAX_ITEMS = 50
MAX_ITEM_CHARS = 300
MAX_DECODE_ATTEMPTS = 200
"""Positions tried when hunting for JSON inside prose, so a huge reply stays cheap."""

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)
_DIGITS = re.compile(r"\d+")


@dataclass
class ParsedFrame:
    """One frame as read from a reply: the structured fields and what had to be fixed."""

    description: str = ""
    objects: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def described(self, index: int, *, model: str, fallback: str) -> FrameDescription:
        """The frame at ``index`` as a backend reports it: ``fallback`` where the model wrote no
        description, what had to be fixed under ``extra["problems"]``."""
        return FrameDescription(
            index,
            self.description or fallback,
            objects=list(self.objects),
            people=list(self.people),
            text=list(self.text),
            actions=list(self.actions),
            model=model,
            extra={"problems": list(self.problems)} if self.problems else {},
        )


@dataclass
class FrameReply:
    """A whole reply read: one slot per image (None where nothing usable was found), and the
    problems that concern the reply rather than one frame."""

    frames: list[ParsedFrame | None]
    problems: list[str] = field(default_factory=list)

    @property
    def found_any(self) -> bool:
        return any(frame is not None for frame in self.frames)


def build_frame_prompt(count: int, custom: str | None = None) -> str:
    """The prompt for a request with ``count`` images.

    ``custom`` (``VIDEOLENS_VISION_PROMPT``) replaces the default; ``{count}`` in it is replaced
    by the number of images. Unless it describes the ``"frames"`` JSON shape itself, the format
    rules are appended so the reply can still be read per frame.
    """
    count = max(1, count)
    images = (
        "one image: frame 1 of a video"
        if count == 1
        else f"{count} images: frames of one video, numbered 1 to {count} in the order given"
    )
    if custom is None or not custom.strip():
        template = FRAME_PROMPT
    else:
        template = custom.strip()
        if '"frames"' not in template:
            template += "\n\n" + FORMAT_RULES
    return template.replace("{images}", images).replace("{count}", str(count))


def parse_frame_reply(text: str, count: int) -> list[ParsedFrame | None]:
    """One slot per image: the frame read from ``text``, or None where the reply has none."""
    return read_frame_reply(text, count).frames


def read_frame_reply(text: str, count: int) -> FrameReply:
    """Like ``parse_frame_reply``, with the reply-level problems. Never raises."""
    count = max(0, count)
    reply = FrameReply(frames=[None] * count)
    if count == 0:
        return reply
    cleaned = _THINK.sub("", text).strip()
    values = _json_values(cleaned)
    items, how = _frame_items(values)
    if how:
        reply.problems.append(how)
    if not items:
        if count == 1 and _is_prose(cleaned, values):
            # A single frame described in prose is still a description.
            frame = ParsedFrame(description=_clip(" ".join(cleaned.split()), MAX_DESCRIPTION_CHARS))
            frame.problems.append("the reply was not JSON; its text is kept as the description")
            reply.frames[0] = frame
        else:
            reply.problems.append("the reply holds no frame JSON")
        return reply
    _place(items, reply)
    missing = [str(slot + 1) for slot, frame in enumerate(reply.frames) if frame is None]
    if missing:
        reply.problems.append(f"no entry for frame {', '.join(missing)}")
    return reply


def _is_prose(text: str, values: list[Any]) -> bool:
    """Text that does not even try to be JSON (broken JSON is not a description)."""
    return (
        bool(text)
        and not text.startswith(("{", "[", "```"))
        and not any(isinstance(value, dict | list) for value in values)
    )


def _json_values(text: str) -> list[Any]:
    """The JSON values in ``text``: the whole text, else fenced blocks, else objects/arrays
    embedded in prose (each decodable one, left to right)."""
    try:
        return [json.loads(text)]
    except (ValueError, RecursionError):
        pass
    values: list[Any] = []
    for block in _FENCE.findall(text):
        try:
            values.append(json.loads(block))
        except (ValueError, RecursionError):
            values.extend(_embedded_values(block))
    return values or _embedded_values(text)


def _embedded_values(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position, attempts = 0, 0
    while attempts < MAX_DECODE_ATTEMPTS:
        starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
        if not starts:
            break
        start = min(starts)
        attempts += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            position = start + 1
            continue
        if isinstance(value, dict | list) and value:
            values.append(value)
        position = max(end, start + 1)
    return values


def _frame_items(values: list[Any]) -> tuple[list[Any], str]:
    """The candidate frame entries among ``values``, and a note when their shape was unusual."""
    for value in values:
        if isinstance(value, dict) and isinstance(value.get("frames"), list):
            return list(value["frames"]), ""
        if isinstance(value, dict) and _numbered_frames(value.get("frames")):
            return _numbered_frames(value["frames"]), "the frames are keyed by name, not listed"
    for value in values:
        if isinstance(value, list) and any(isinstance(item, dict | str) for item in value):
            return value, 'the reply is a bare list, not {"frames": [...]}'
    singles = [value for value in values if isinstance(value, dict) and _looks_like_frame(value)]
    if singles:
        return singles, "" if len(singles) == 1 else "the reply has one JSON object per frame"
    for value in values:
        keyed = _numbered_frames(value)
        if keyed:
            return keyed, 'the reply keys frames by name, not {"frames": [...]}'
    return [], ""


def _looks_like_frame(value: dict[str, Any]) -> bool:
    keys = {key.lower() for key in value if isinstance(key, str)}
    return any(alias in keys for aliases in _ALIASES.values() for alias in aliases)


def _numbered_frames(value: Any) -> list[Any]:
    """``{"frame 1": {...}, "frame 2": {...}}`` → entries with their number filled in."""
    if not isinstance(value, dict):
        return []
    entries = []
    for key, entry in value.items():
        digits = _DIGITS.search(str(key))
        if isinstance(entry, dict) and digits and _looks_like_frame(entry):
            entries.append({**entry, "frame": int(digits.group())})
    return entries


def _frame_number(item: dict[str, Any]) -> int | None:
    for key in _NUMBER_KEYS:
        value = item.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            digits = _DIGITS.search(value)
            if digits and len(digits.group()) < 10:
                return int(digits.group())
    return None


def _place(items: list[Any], reply: FrameReply) -> None:
    """Put each entry in its slot: by its frame number, else by its position."""
    count = len(reply.frames)
    numbers = [_frame_number(item) if isinstance(item, dict) else None for item in items]
    known = [n for n in numbers if n is not None]
    shift = 0
    if known and min(known) == 0 and max(known) < count:
        shift = 1
        reply.problems.append("frames are numbered from 0; read them as positions 1..n")
    for position, (item, number) in enumerate(zip(items, numbers, strict=True)):
        if isinstance(item, str) and item.strip():
            frame = ParsedFrame(description=_clip(item.strip(), MAX_DESCRIPTION_CHARS))
            frame.problems.append("the entry is plain text; kept as the description")
        elif isinstance(item, dict):
            frame = _parse_fields(item)
        else:
            reply.problems.append(f"entry {position + 1} is not an object; dropped")
            continue
        if number is None:
            slot = position
            if count > 1:
                frame.problems.append("the entry has no frame number; placed by its position")
        else:
            slot = number + shift - 1
        if not 0 <= slot < count:
            reply.problems.append(f"an entry for frame {slot + 1} of {count} was dropped")
            continue
        if reply.frames[slot] is not None:
            reply.problems.append(f"a second entry for frame {slot + 1} was dropped")
            continue
        reply.frames[slot] = frame


def _parse_fields(item: dict[str, Any]) -> ParsedFrame:
    frame = ParsedFrame()
    lowered = {key.lower(): value for key, value in item.items() if isinstance(key, str)}
    description = _first(lowered, _ALIASES["description"])
    if isinstance(description, str):
        frame.description = _clip(description.strip(), MAX_DESCRIPTION_CHARS)
    elif isinstance(description, int | float) and not isinstance(description, bool):
        frame.description = str(description)
        frame.problems.append("description was a number")
    elif isinstance(description, list) and all(isinstance(p, str) for p in description):
        frame.description = _clip(" ".join(p.strip() for p in description), MAX_DESCRIPTION_CHARS)
        frame.problems.append("description was a list; joined")
    elif description is not None:
        frame.problems.append(f"description was {type(description).__name__}; dropped")
    if not frame.description:
        frame.problems.append("no description")
    for name in LIST_FIELDS:
        setattr(frame, name, _string_list(name, _first(lowered, _ALIASES[name]), frame.problems))
    return frame


def _first(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((item[key] for key in keys if key in item), None)


def _string_list(name: str, value: Any, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
        if value[0].strip():
            problems.append(f"{name} was a string; kept as one item")
    if not isinstance(value, list):
        problems.append(f"{name} was {type(value).__name__}; dropped")
        return []
    kept = [_clip(item.strip(), MAX_ITEM_CHARS) for item in value if isinstance(item, str)]
    dropped = sum(1 for item in value if not isinstance(item, str))
    if dropped:
        problems.append(f"{name}: {dropped} item{'s' if dropped > 1 else ''} not text; dropped")
    kept = [item for item in kept if item]
    if len(kept) > MAX_ITEMS:
        problems.append(f"{name}: {len(kept) - MAX_ITEMS} items beyond {MAX_ITEMS}; dropped")
        kept = kept[:MAX_ITEMS]
    return kept


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
