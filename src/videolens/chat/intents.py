"""What a question asks for, read with a few patterns (no model): a summary, a count, when
something is visible, what is said, what is written, or else the best-matching moments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from videolens.chat.timeparse import TimeAnchor, parse_anchor
from videolens.chat.vocabulary import labels_in

IntentKind = Literal["summary", "count", "presence", "speech", "text", "moments"]


@dataclass(frozen=True)
class Intent:
    """``labels`` for count/presence (``absent`` when the question asks where they are not);
    ``topic`` for speech ("what did they say about the bus": "the bus")."""

    kind: IntentKind
    labels: tuple[str, ...] = ()
    topic: str = ""
    absent: bool = False
    anchor: TimeAnchor | None = None


_SUMMARY = re.compile(
    r"\b(summar(?:y|ies|ise|ize|ised|ized)|overview|recap|gist|tl;?dr|synopsis|"
    r"what(?:'s| is| was)? (?:this|the) (?:video|clip|film|footage) about|"
    r"what (?:happens|happened|is happening|goes on|is going on)(?: in (?:this|the) "
    r"(?:video|clip|film|footage))?\s*[?.!]*\s*$|"
    r"describe (?:this|the) (?:whole |entire )?(?:video|clip|film|footage))",
    re.I,
)
_TEXT = re.compile(
    r"\b(written|writing|what(?:'s| is| was| does)? (?:the )?(?:text|sign|caption|banner|"
    r"subtitle|title|label|poster)|on[- ]screen text|text (?:on|is|was|appears|shown)|"
    r"which text|any text|(?:sign|caption|banner|subtitle|poster|label)s? (?:say|says|read|"
    r"reads)|can you read|ocr)\b",
    re.I,
)
_SPEECH = re.compile(
    r"\b(say|says|said|saying|speak|speaks|spoke|spoken|speech|talk|talks|talked|talking|"
    r"dialog|dialogue|transcript|transcription|conversation|narrat\w*|voice|audio|mention|"
    r"mentions|mentioned|words? (?:are|were) (?:said|spoken))\b",
    re.I,
)
_TOPIC_ABOUT = re.compile(
    r"\b(?:about|regarding|concerning|on the subject of)\s+(.+?)\s*[?.!]*$", re.I
)
_TOPIC_WORDS = re.compile(
    r"\b(?:mention(?:s|ed)?|say(?:s)?|said|speak(?:s)? of|talk(?:s)? of)\s+(.+?)\s*[?.!]*$", re.I
)
_COUNT = re.compile(r"\b(how many|number of|count(?:ing)? (?:the|of)|how much)\b", re.I)
_PRESENCE = re.compile(
    r"\b(when|where|which (?:moments?|frames?|times?|parts?|scenes?)|what (?:time|point)|"
    r"is there|are there|was there|were there|do(?:es)? (?:a|an|any|the|some)|any|anyone|"
    r"anybody|someone|somebody|appears?|appearing|visible|seen|see|shows? up|walk\w*|"
    r"pass\w*|cross\w*|enter\w*|leav\w*|arriv\w*|drive\w*|ride\w*|present)\b",
    re.I,
)
_ABSENT = re.compile(r"\b(no|without|not any|none|nobody|(?:empty|free|devoid|clear) of)\b", re.I)
_VAGUE_TOPIC = re.compile(
    r"^(?:it|that|this|them|there|here|in (?:the|this) (?:video|clip)|anything|something)$"
)


def _topic(question: str) -> str:
    match = _TOPIC_ABOUT.search(question) or _TOPIC_WORDS.search(question)
    if not match:
        return ""
    topic = re.sub(r"^(?:the|a|an)\s+", "", match.group(1).strip(" ?.!,"), flags=re.I)
    return "" if _VAGUE_TOPIC.match(topic.lower()) or not re.search(r"\w", topic) else topic


def classify(question: str) -> Intent:
    """The intent of ``question``; the first matching kind wins, in the order below."""
    anchor = parse_anchor(question)
    if anchor is None and _SUMMARY.search(question):
        return Intent("summary")
    if _TEXT.search(question):
        return Intent("text", anchor=anchor)
    if _SPEECH.search(question):
        return Intent("speech", topic=_topic(anchor.rest if anchor else question), anchor=anchor)
    # "what happens after the car appears": the car places the question in time, it is not
    # what is asked about.
    rest = anchor.rest if anchor is not None else question
    labels = tuple(labels_in(rest))
    if labels and _COUNT.search(rest):
        return Intent("count", labels, anchor=anchor)
    absent = tuple(a for a in labels_in(_ABSENT.sub(" ", rest)) if a not in labels)
    if absent and _PRESENCE.search(rest):
        return Intent("presence", absent, absent=True, anchor=anchor)
    if labels and _PRESENCE.search(rest):
        return Intent("presence", labels, anchor=anchor)
    return Intent("moments", anchor=anchor)
