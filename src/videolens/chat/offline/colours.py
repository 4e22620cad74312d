"""Offline answers about the colour of a detected thing ("what colour is the van?", "is the car
white?"): the colour measured from each track's own pixels, else each detection's, else a plain
sentence that it was not measured.
"""

from __future__ import annotations

import re
from collections import Counter

from videolens.chat.facts import seconds
from videolens.chat.offline.evidence import Evidence
from videolens.chat.offline.tracks import cite, tracks_of
from videolens.chat.vocabulary import plural

_ASKED = re.compile(
    r"\b(black|white|gr[ae]y|red|orange|yellow|green|cyan|blue|purple|pink|brown|silver)\b", re.I
)


def asked_colour(question: str) -> str | None:
    """The colour a yes/no question names ("is the car white?"); None if it names none."""
    match = _ASKED.search(question)
    return match.group(1).lower().replace("gray", "grey") if match else None


def colour_answer(evidence: Evidence, label: str, question: str) -> str | None:
    """The measured colours of ``label`` (a yes or no first when the question names one), or
    None when no colour of it was measured."""
    found = _by_track(evidence, label) or _by_detection(evidence, label)
    if found is None:
        return None
    colours, body = found
    asked = asked_colour(question)
    if asked is None:
        return body
    if asked in colours:
        return f"Yes: {body}"
    return f"No {plural(label) if len(colours) > 1 else label} measured {asked}: {body}"


def _by_track(evidence: Evidence, label: str) -> tuple[Counter[str], str] | None:
    tracks = [t for t in tracks_of(evidence, label) if t.colour]
    if not tracks:
        return None
    colours = Counter(str(t.colour) for t in tracks)
    where = evidence.where
    if len(tracks) == 1:
        track = tracks[0]
        shown = evidence.clock.format(track.first_s)
        until = evidence.clock.format(track.last_s)
        middle = (track.first_s + track.last_s) / 2
        return colours, (
            f"the {label} tracked{where} is {track.colour} (measured on its own pixels), in view "
            f"from {shown} to {until} {cite(evidence, middle, label)}."
        )
    parts = []
    for colour, n in colours.most_common():
        example = next(t for t in tracks if t.colour == colour)
        middle = (example.first_s + example.last_s) / 2
        parts.append(f"{n} {colour} {cite(evidence, middle, label)}")
    return colours, (
        f"of the {len(tracks)} {plural(label)} tracked{where} with a measured colour: "
        + ", ".join(parts)
        + " (each measured on its own pixels)."
    )


def _by_detection(evidence: Evidence, label: str) -> tuple[Counter[str], str] | None:
    seen: dict[str, list[float]] = {}
    for frame in evidence.frames:
        for detection in frame.detections or []:
            if detection.label == label and detection.colour:
                seen.setdefault(detection.colour, []).append(seconds(frame))
    if not seen:
        return None
    colours = Counter({colour: len(times) for colour, times in seen.items()})
    parts = [
        f"{colour} in {n} detection{'s' if n > 1 else ''} {evidence.stamp(seen[colour][0])}"
        for colour, n in colours.most_common(4)
    ]
    return colours, (
        f"the {plural(label)} detected{evidence.where} are "
        + ", ".join(parts)
        + " (counted per analysed moment, so the same one may be counted several times)."
    )
