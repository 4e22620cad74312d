"""Words for what detectors see: COCO labels, their plural and synonym forms, and negations.

Questions say "pedestrians", "a van" or "anyone"; the detector writes ``person``, ``car`` or
``truck``. ``labels_of_token`` maps a (stemmed) word to the labels it can mean, so retrieval and
the offline answers meet on the detector's labels. ``strip_negations`` removes negative phrases
("no faces detected") from text before it is indexed: a frame must never match a word because it
says the thing is absent.
"""

from __future__ import annotations

import re

from videolens.chat.bm25 import tokenize

FACE = "face"
"""Faces are not a COCO label; the face detector's count (``face_count``) stands for them."""

# label -> (plural shown to people, words that mean it). Multi-label words are in _SHARED.
_LABELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "person": ("people", (
        "person", "persons", "people", "pedestrian", "pedestrians", "man", "men", "woman",
        "women", "child", "children", "kid", "kids", "someone", "somebody", "anyone",
        "anybody", "walker", "walkers", "human", "humans", "boy", "boys", "girl", "girls",
        "passerby", "passersby", "crowd", "player", "players",
    )),
    "car": ("cars", ("car", "cars", "automobile", "automobiles", "taxi", "taxis", "sedan")),
    "truck": ("trucks", ("truck", "trucks", "lorry", "lorries")),
    "bus": ("buses", ("bus", "buses")),
    "bicycle": ("bicycles", ("bicycle", "bicycles", "bike", "bikes", "cyclist", "cyclists")),
    "motorcycle": ("motorcycles", ("motorcycle", "motorcycles", "motorbike", "motorbikes",
                                   "scooter", "scooters")),
    "train": ("trains", ("train", "trains", "tram", "trams")),
    "boat": ("boats", ("boat", "boats", "ship", "ships")),
    "airplane": ("airplanes", ("airplane", "airplanes", "plane", "planes", "aircraft")),
    "dog": ("dogs", ("dog", "dogs", "puppy", "puppies")),
    "cat": ("cats", ("cat", "cats", "kitten", "kittens")),
    "bird": ("birds", ("bird", "birds", "seagull", "seagulls", "pigeon", "pigeons")),
    "horse": ("horses", ("horse", "horses")),
    "traffic light": ("traffic lights", ("traffic light", "traffic lights")),
    "stop sign": ("stop signs", ("stop sign", "stop signs")),
    "bench": ("benches", ("bench", "benches")),
    "backpack": ("backpacks", ("backpack", "backpacks", "rucksack")),
    "umbrella": ("umbrellas", ("umbrella", "umbrellas")),
    "handbag": ("handbags", ("handbag", "handbags", "purse")),
    "suitcase": ("suitcases", ("suitcase", "suitcases", "luggage")),
    "chair": ("chairs", ("chair", "chairs")),
    "laptop": ("laptops", ("laptop", "laptops")),
    "cell phone": ("phones", ("cell phone", "phone", "phones", "smartphone")),
    "tv": ("TVs", ("tv", "tvs", "television")),
    "bottle": ("bottles", ("bottle", "bottles")),
    "cup": ("cups", ("cup", "cups", "mug")),
    "book": ("books", ("book", "books")),
    "clock": ("clocks", ("clock", "clocks")),
    FACE: ("faces", ("face", "faces")),
}  # fmt: skip
# Words that mean any of several labels.
_SHARED: dict[str, tuple[str, ...]] = {
    "vehicle": ("car", "truck", "bus", "motorcycle"),
    "vehicles": ("car", "truck", "bus", "motorcycle"),
    "van": ("car", "truck"),
    "vans": ("car", "truck"),
    "animal": ("dog", "cat", "bird", "horse"),
    "animals": ("dog", "cat", "bird", "horse"),
    "pet": ("dog", "cat"),
    "pets": ("dog", "cat"),
}


def _token_map() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for label, (_, words) in _LABELS.items():
        for word in words:
            tokens = tokenize(word)
            if len(tokens) == 1:  # two-word forms are matched as phrases, see labels_in
                found.setdefault(tokens[0], set()).add(label)
    for word, labels in _SHARED.items():
        for token in tokenize(word):
            found.setdefault(token, set()).update(labels)
    return {token: frozenset(labels) for token, labels in found.items()}


_TOKEN_LABELS = _token_map()
_PHRASES = [
    (re.compile(rf"\b{re.escape(word)}s?\b", re.I), label)
    for label, (_, words) in _LABELS.items()
    for word in words
    if " " in word
]


def labels_of_token(token: str) -> frozenset[str]:
    """The labels a stemmed token can mean (empty for an ordinary word)."""
    return _TOKEN_LABELS.get(token, frozenset())


def labels_in(text: str) -> list[str]:
    """The labels ``text`` names, in the order they first appear (negated mentions excluded)."""
    text = strip_negations(text)
    found: dict[str, int] = {}
    for pattern, label in _PHRASES:
        match = pattern.search(text)
        if match:
            found.setdefault(label, match.start())
    for match in re.finditer(r"[A-Za-z0-9]+", text):
        for token in tokenize(match.group(0)):
            for label in sorted(labels_of_token(token)):
                found.setdefault(label, match.start())
    return sorted(found, key=lambda label: found[label])


def label_tokens(label: str) -> list[str]:
    """The index tokens that stand for ``label`` (the label's own words)."""
    return tokenize(label)


def expand_tokens(tokens: list[str]) -> list[str]:
    """``tokens`` plus the label tokens their words stand for ("pedestrian" adds "person")."""
    extra = [t for token in tokens for label in labels_of_token(token) for t in tokenize(label)]
    return tokens + [t for t in extra if t not in tokens]


def plural(label: str) -> str:
    """The plural people say: ``person`` -> ``people``."""
    return _LABELS[label][0] if label in _LABELS else label + "s"


def counted(label: str, count: int) -> str:
    """``a car``, ``an umbrella``, ``3 cars``, ``2 people``."""
    if count == 1:
        article = "an" if label[:1] in "aeiou" else "a"
        return f"{article} {label}"
    return f"{count} {plural(label)}"


# "no faces detected", "without people", "nobody", "not a car": from the negation to the end of
# its clause, a few words at most, so "a man with no hat walks away" keeps "walks away".
_NEGATION = re.compile(
    r"\b(?:no|not|without|zero|nobody|nothing|none|never|neither|nor|absent|"
    r"(?:empty|free|devoid|clear) of)\b"
    r"(?:\s+(?!and\b|but\b)[^\s.;,:!?]+){0,3}",
    re.I,
)


def strip_negations(text: str) -> str:
    """``text`` without its negative phrases (what they deny must not match a search)."""
    return _NEGATION.sub(" ", text)


def is_negated(text: str, start: int) -> bool:
    """Whether the word at ``start`` in ``text`` is inside a negative phrase."""
    return any(m.start() <= start < m.end() for m in _NEGATION.finditer(text))
