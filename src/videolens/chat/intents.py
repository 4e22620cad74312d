"""What a question asks for, read with a few patterns (no model): one of the kinds in
``question_kinds`` (a summary, a count, how many different, when first seen or gone, which way,
what colour, whether or when something is visible, what is said or written, moments to find), or
a kind the offline answers decline, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from videolens.chat.question_kinds import DeclineReason, KindName
from videolens.chat.timeparse import TimeAnchor, parse_anchor
from videolens.chat.vocabulary import labels_in

IntentKind = KindName


@dataclass(frozen=True)
class Intent:
    """``labels`` for the kinds about detected things (``absent`` when the question asks where
    they are not); ``topic`` for speech ("what did they say about the bus": "the bus");
    ``latest`` for "the last one to leave"; ``declined`` why a declined question is."""

    kind: IntentKind
    labels: tuple[str, ...] = ()
    topic: str = ""
    absent: bool = False
    anchor: TimeAnchor | None = None
    latest: bool = False
    declined: DeclineReason | None = None


_SUMMARY = re.compile(
    r"\b(summar(?:y|ies|ise|ize|ised|ized)|overview|recap|gist|tl;?dr|synopsis|"
    r"what(?:'s| is| was)? (?:this|the) (?:video|clip|film|footage) about|"
    r"what (?:happens|happened|is happening|goes on|is going on)(?: in (?:this|the) "
    r"(?:video|clip|film|footage))?\s*[?.!]*\s*$|"
    r"describe (?:this|the) (?:whole |entire )?(?:video|clip|film|footage)|"
    r"what(?:'s| is) (?:in|on) (?:this|the) (?:video|clip|film|footage)|"
    r"how long is (?:this|the) (?:video|clip|film|footage))",
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
_DECLINED: tuple[tuple[re.Pattern[str], DeclineReason], ...] = (
    (re.compile(r"^\W*why\b|\bwhat for\b|\bfor what reason\b|\bhow come\b", re.I), "why"),
    (re.compile(r"^\W*who(?:'s| is| are| was| were)\b(?! (?:there|visible|in view|seen))|"
                r"\b(?:his|her|their|its) names?\b|\bwhat(?:'s| is) (?:he|she) called\b|"
                r"\brecogni[sz]e\b|\bidentify\b", re.I), "who"),
    (re.compile(r"\bhow fast\b|\bspeed\b|\bhow quick(?:ly)?\b|\bkm/h\b|\bmph\b", re.I), "speed"),
    (re.compile(r"\bhow old\b|\bage[sd]?\b", re.I), "age"),
    (re.compile(r"\b(?:feel\w*|mood|happy|sad|angry|emotion\w*|upset|scared|afraid)\b", re.I),
     "feeling"),
    (re.compile(r"\bwhere (?:was|is|were) (?:this|it|the (?:video|clip|film|footage)) "
                r"(?:filmed|shot|recorded|taken|made)\b", re.I), "other"),
)  # fmt: skip
_GARMENT = re.compile(
    r"\b(dress(?:es)?|shirts?|t-shirts?|jackets?|coats?|hats?|caps?|trousers|pants|jeans|"
    r"skirts?|shoes|boots|hair|eyes|tops?|jumpers?|sweaters?|hoodies?|scarf|scarves|"
    r"wearing|clothes|clothing|outfits?|uniforms?)\b",
    re.I,
)
_COLOUR_WORDS = r"black|white|gr[ae]y|red|orange|yellow|green|cyan|blue|purple|pink|brown"
"""The colour names measured colours are given (``backends/basic/colours.py``)."""
_WEARING_COLOUR = re.compile(
    rf"\b(?:wearing|dressed in|in)\s+(?:a\s+)?(?:{_COLOUR_WORDS})\b"
    r"(?!\s+(?:car|truck|bus|van)s?\b)",
    re.I,
)
_COLOUR = re.compile(r"\bcolou?r(?:s|ed)?\b|\bshade\b", re.I)
_COLOUR_NAME = re.compile(
    rf"(?:^\W*(?:is|are|was|were|which|any)\b.*|\bwearing\s+)\b({_COLOUR_WORDS}|silver)\b",
    re.I,
)
_DIRECTION = re.compile(
    r"\b(which (?:way|direction)|what direction|in which direction|direction|heading|"
    r"(?:from|to) the (?:left|right)|left to right|right to left|towards? (?:the )?camera)\b",
    re.I,
)
_COUNT = re.compile(r"\b(how many|number of|count(?:ing)? (?:the|of)|how much)\b", re.I)
_DISTINCT = re.compile(
    r"\b(different|distinct|unique|individual|separate|in total|altogether|all together|"
    r"overall|come and go|came and went|"
    r"(?:walk|walked|go|went|pass|passed|drive|drove|come|came|ride|rode)s? "
    r"(?:by|past)|pass(?:ed)?|go(?:es)? through|went through)\b",
    re.I,
)
_FIRST = re.compile(r"\b(first|earliest)\b", re.I)
_LEAVE = re.compile(
    r"\b(leave|leaves|leaving|exit\w*|disappear\w*|vanish\w*|depart\w*|go(?:es)? (?:away|out)|"
    r"(?:walk|drive|ride)s? (?:out|off|away)|gone|last (?:seen|visible|in view)|"
    r"(?:seen|visible) last)\b",
    re.I,
)
_LATEST = re.compile(r"\b(last|latest|final)\b", re.I)
_PRESENCE = re.compile(
    r"\b(when|where|which (?:moments?|frames?|times?|parts?|scenes?)|what (?:time|point)|"
    r"is there|are there|was there|were there|do(?:es)? (?:a|an|any|the|some)|any|anyone|"
    r"anybody|someone|somebody|appears?|appearing|visible|seen|see|shows? up|walk\w*|"
    r"pass\w*|cross\w*|enter\w*|leav\w*|arriv\w*|drive\w*|ride\w*|present|com(?:e|es|ing)|"
    r"came)\b",
    re.I,
)
_ABSENT = re.compile(r"\b(no|without|not any|none|nobody|(?:empty|free|devoid|clear) of)\b", re.I)
# A question that looks for moments: where/when something is, show me, what happens at 1:00.
_FIND = re.compile(
    r"\b(where|when|which (?:moments?|frames?|parts?|scenes?|shots?)|show|find|look for|"
    r"search|moments?|scenes?|what (?:happens|happened|is happening|goes on|is going on)|"
    r"doing|is there|"
    r"are there|was there|were there|any)\b",
    re.I,
)
_ASKED = re.compile(
    r"^\W*(what|why|who|whom|whose|how|is|are|was|were|do|does|did|can|could|will|would|"
    r"should|which|has|have|had)\b",
    re.I,
)
_WHO = re.compile(r"^\W*who\b", re.I)
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
    for pattern, reason in _DECLINED:
        if pattern.search(question):
            return Intent("declined", declined=reason)
    # "what happens after the car appears": the car places the question in time, it is not
    # what is asked about.
    rest = anchor.rest if anchor is not None else question
    labels = tuple(labels_in(rest)) or (("person",) if _WHO.search(rest) else ())
    # "first" and "last" put appearances in order; they name no stretch of the video.
    ordinal = anchor if anchor is None or anchor.kind not in ("start", "end") else None
    # "how many are wearing red?" asks for the people's colour; "what is she wearing?" or "what
    # colour is her dress?" for a piece of clothing, which is not measured.
    if _WEARING_COLOUR.search(question):
        return Intent("colour", labels or ("person",), anchor=anchor)
    garment = _GARMENT.search(question)
    if _COLOUR.search(question) or _COLOUR_NAME.search(question) or garment:
        if garment:
            return Intent("declined", labels, declined="garment")
        return Intent("colour", labels, anchor=anchor)
    if _DIRECTION.search(rest):
        return Intent("direction", labels, anchor=ordinal)
    if _COUNT.search(rest) and (labels or _DISTINCT.search(rest)):
        if _DISTINCT.search(rest):
            return Intent("distinct", labels, anchor=anchor)
        return Intent("count", labels, anchor=anchor)
    if labels and _LEAVE.search(rest):
        return Intent("leave", labels, anchor=ordinal, latest=bool(_LATEST.search(rest)))
    if labels and _FIRST.search(rest) and _PRESENCE.search(rest):
        return Intent("first", labels, anchor=ordinal)
    absent = tuple(a for a in labels_in(_ABSENT.sub(" ", rest)) if a not in labels)
    if absent and _PRESENCE.search(rest):
        return Intent("presence", absent, absent=True, anchor=anchor)
    if labels and _PRESENCE.search(rest):
        return Intent("presence", labels, anchor=anchor)
    if _FIND.search(rest) or not _ASKED.search(question):
        return Intent("find", labels, anchor=anchor)
    return Intent("declined", labels, anchor=anchor, declined="other")


def without_anchor(intent: Intent) -> Intent:
    """``intent`` over the whole video."""
    return replace(intent, anchor=None)
