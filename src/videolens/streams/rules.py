"""Event rules: what, seen or read in a described frame, raises an event.

Forms (case-insensitive):
- ``person``, ``car``, ``label:dog`` — something the vision backend saw: a detected label, a
  person, or the word in its list of objects ("2 cars" matches ``car``);
- ``word:EXIT`` — a word or phrase in the frame's on-screen text (OCR) or in its speech, matched
  as whole words;
- ``shot`` — a shot change (a cut or a fade).

Label and word rules fire when the thing appears: again only after it has been absent for
``rearm_s`` seconds, so a person standing in view raises one event, not one per frame. Every
shot change is an event. A live stream's speech is transcribed apart from its frames, so word
rules are judged on its segments by ``evaluate_speech`` (events of kind ``word`` with
``source: "speech"``), with a rearm memory of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from videolens.backends.basic.objects import plural
from videolens.streams.errors import InvalidRuleError
from videolens.timeline.model import Moment, StreamEvent, StreamSpeechSegment

KINDS = ("label", "word", "shot")
REARM_S = 10.0
MAX_RULES = 20
_PERSON_WORDS = frozenset({"person", "people", "persons", "man", "men", "woman", "women"})
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Rule:
    """A parsed rule; ``spec`` is its canonical text (``label:person``, ``word:exit``, ``shot``)."""

    kind: str
    value: str = ""

    @property
    def spec(self) -> str:
        return self.kind if self.kind == "shot" else f"{self.kind}:{self.value}"


def parse_rule(text: str) -> Rule:
    """Parse one rule; ``InvalidRuleError`` says which forms are accepted."""
    raw = text.strip()
    kind, sep, value = raw.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if not sep:
        kind, value = ("shot", "") if kind == "shot" else ("label", kind)
    if kind == "shot" and not value:
        return Rule("shot")
    if kind in ("label", "word") and value and len(value) <= 100:
        words = _WORD.findall(value.lower())
        if words:
            return Rule(kind, " ".join(words))
    raise InvalidRuleError(
        f"rule {raw!r} is not understood; use a label (person, car, label:dog), "
        "word:TEXT (on screen or spoken), or shot"
    )


def parse_rules(texts: list[str]) -> list[Rule]:
    if len(texts) > MAX_RULES:
        raise InvalidRuleError(f"at most {MAX_RULES} rules per stream")
    rules = [parse_rule(text) for text in texts]
    unique: list[Rule] = []
    for rule in rules:
        if rule not in unique:
            unique.append(rule)
    return unique


def match(rule: Rule, frame: Moment) -> str | None:
    """What in ``frame`` (a described frame) matches ``rule``, or None."""
    if rule.kind == "shot":
        return "shot change" if frame.shot_start else None
    if rule.kind == "word":
        return _match_words(rule.value, frame)
    return _match_label(rule.value, frame)


def _word_pattern(value: str) -> re.Pattern[str]:
    """The words of ``value`` as whole words, any punctuation or spacing between them."""
    return re.compile(
        r"(?<![a-z0-9])" + r"\W+".join(map(re.escape, value.split())) + r"(?![a-z0-9])"
    )


def _match_words(value: str, frame: Moment) -> str | None:
    pattern = _word_pattern(value)
    # ``speech`` is no field of a stream's frame; a frame record may still carry it.
    said = (frame.model_extra or {}).get("speech") or []
    for where, lines in (("on screen", frame.text), ("said", said)):
        for line in lines if isinstance(lines, list) else [lines]:
            if pattern.search(str(line).lower()):
                return f"{str(line).strip()!r} {where}"
    return None


def _match_label(value: str, frame: Moment) -> str | None:
    names = {value, plural(value)} | (_PERSON_WORDS if value == "person" else set())
    if value == "person" and frame.people:
        return "person"
    for detection in frame.detections or []:
        if detection.label.lower() in names:
            return value
    for item in frame.objects:
        words = " ".join(_WORD.findall(str(item).lower()))
        if any(re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", words) for name in names):
            return str(item)
    return None


def evaluate(
    rules: list[Rule],
    frames: list[Moment],
    last_match_at: dict[str, float],
    rearm_s: float = REARM_S,
) -> list[StreamEvent]:
    """Events that ``frames`` (oldest first) raise; ``last_match_at`` (rule spec -> the last
    frame that matched) is read and updated, so appearances are judged across windows."""
    events = []
    for frame in frames:
        at, seq = frame.at or 0.0, frame.seq or 0
        for number, rule in enumerate(rules):
            found = match(rule, frame)
            if found is None:
                continue
            previous = last_match_at.get(rule.spec)
            last_match_at[rule.spec] = at
            if rule.kind != "shot" and previous is not None and at - previous <= rearm_s:
                continue
            events.append(
                StreamEvent(
                    event_id=f"{seq:010d}-{number}",
                    rule=rule.spec,
                    kind=rule.kind,
                    match=found,
                    at=at,
                    at_iso=frame.at_iso,
                    seq=seq,
                    description=frame.description,
                )
            )
    return events


MAX_SPEECH_EVENTS = 1000  # per transcription batch: event ids number them in three digits


def evaluate_speech(
    rules: list[Rule],
    segments: list[StreamSpeechSegment],
    last_match_at: dict[str, float],
    batch: int,
    rearm_s: float = REARM_S,
) -> list[StreamEvent]:
    """Events that speech ``segments`` (oldest first) of
    transcription batch ``batch`` raise for the word rules. ``last_match_at`` is read and
    updated as in ``evaluate``; keep it apart from the frames', so a word said and a word shown
    rearm independently. Event ids are ``s<batch>-<n>``."""
    events: list[StreamEvent] = []
    words = [(rule, _word_pattern(rule.value)) for rule in rules if rule.kind == "word"]
    for segment in segments:
        at, text = segment.start_at, segment.text.strip()
        for rule, pattern in words:
            if not pattern.search(text.lower()):
                continue
            previous = last_match_at.get(rule.spec)
            last_match_at[rule.spec] = at
            if previous is not None and at - previous <= rearm_s:
                continue
            if len(events) < MAX_SPEECH_EVENTS:
                events.append(
                    StreamEvent(
                        event_id=f"s{batch:09d}-{len(events)}",
                        rule=rule.spec,
                        kind="word",
                        source="speech",
                        match=f"{text!r} said",
                        at=at,
                        at_iso=segment.start_iso,
                        end_at=segment.end_at,
                        text=text,
                        description=text,
                    )
                )
    return events
