"""Tracks from tracked frames: who was there from when to when, where they came and went, which
way they moved and what colour they were; tracks too short to trust are dropped as noise."""

from __future__ import annotations

from collections import Counter, defaultdict
from statistics import fmean

from videolens.timeline.model import Detection, Track, TrackPoint
from videolens.tracking.chunk import TrackedFrame
from videolens.tracking.detect import box_iou, class_group

MIN_DETECTIONS = 3
"""A track needs this many detections to count: a false box seen in one or two frames of the
pass (a shadow, a tripod, a poster) is noise, a person walking through is seen in many."""
EDGE_MARGIN = 0.08
"""A track's first (last) box this close to a frame edge (share of the frame) came in (went out)
over it: at 2 fps a walker is often first boxed a step after it came fully into view, half a
body width or more from the edge."""
STAYED_SHARE = 0.1
"""A track whose centre moved less than this share of the frame has no direction."""
EARLIEST_LOOKBACK = 3
"""How many frames before a track's first detection its first sightings are looked for."""
PATH_POINTS = 24
"""The most positions a track's ``path`` keeps (spread evenly over its life)."""
REFOUND_IOU = 0.5
"""A track that begins after another of the same kind ended, its first box overlapping that
one's last box this much, is the same thing found again: vtest.avi's parked van, lost by the
detector for a few seconds at a time, was otherwise a truck that "arrives" and "leaves"."""


def build_tracks(
    frames: list[TrackedFrame], *, start_s: float, end_s: float, step_s: float
) -> tuple[list[Track], list[TrackedFrame]]:
    """The confirmed tracks (numbered from 1 in order of appearance) and the frames with only
    their detections, re-numbered to match. ``start_s``/``end_s`` bound the pass: a track seen
    within a step of them was already there, or still there, rather than entering or leaving."""
    seen: dict[int, list[tuple[float, Detection]]] = defaultdict(list)
    for frame in frames:
        for detection in frame.detections:
            if detection.track_id is not None:
                seen[detection.track_id].append((frame.t, detection))
    _claim_first_sightings(frames, seen, step_s)
    same_as = _join_refound(seen)
    confirmed = sorted(
        (sightings for sightings in seen.values() if len(sightings) >= MIN_DETECTIONS),
        key=lambda sightings: (sightings[0][0], sightings[0][1].box),
    )
    numbers = {sightings[0][1].track_id: n for n, sightings in enumerate(confirmed, start=1)}
    tracks = [
        _track(numbers[sightings[0][1].track_id], sightings, start_s, end_s, step_s)
        for sightings in confirmed
    ]
    # A detection takes its track's label: the parked van of vtest.avi, read "car" in one frame
    # and "truck" in the next, would otherwise be a truck that "comes and goes" every few seconds.
    labels = {track.track_id: track.label for track in tracks}
    kept = [
        TrackedFrame(
            t=frame.t,
            detections=[
                d.model_copy(update={"track_id": number, "label": labels[number]})
                for d in frame.detections
                if (number := numbers.get(same_as.get(d.track_id, d.track_id))) is not None
            ],
        )
        for frame in frames
    ]
    return tracks, kept


def _join_refound(seen: dict[int, list[tuple[float, Detection]]]) -> dict[int | None, int]:
    """Append to a track each later track that begins where it ended (see ``REFOUND_IOU``);
    returns which track each appended one now is."""
    same_as: dict[int | None, int] = {}
    for later in sorted(seen, key=lambda track_id: seen[track_id][0][0]):
        first_t, first = seen[later][0]
        ended = [
            earlier
            for earlier, sightings in seen.items()
            if earlier != later
            and sightings[-1][0] < first_t
            and class_group(sightings[-1][1].label) == class_group(first.label)
            and box_iou(sightings[-1][1].box, first.box) >= REFOUND_IOU
            # One who walked out over an edge and one who came in there later are two people;
            # a thing that stayed put at the edge (a parked van) is the same thing.
            and (_edge(first.box) == "inside" or _stayed(sightings))
        ]
        if ended:
            earlier = max(ended, key=lambda track_id: seen[track_id][-1][0])  # the latest to end
            # ``earlier`` is still in ``seen``: a track appended to another leaves it, so
            # every id in ``same_as`` names a track that stays.
            seen[earlier].extend(seen.pop(later))
            same_as[later] = earlier
    return same_as


def _stayed(sightings: list[tuple[float, Detection]]) -> bool:
    return _direction(sightings[0][1].box, sightings[-1][1].box) is None


def _claim_first_sightings(
    frames: list[TrackedFrame], seen: dict[int, list[tuple[float, Detection]]], step_s: float
) -> None:
    """Give each track the unassociated detections just before its first one, where they box
    the same thing. ByteTrack forgets a new detection that the very next frame misses (common at
    the frame's edge, where a walker is half in view), so a track often begins a second after
    the thing was first seen; those first sightings are still in the frames, without an id."""
    for track_id, sightings in seen.items():
        earlier = [f for f in frames if f.t < sightings[0][0]]
        for frame in reversed(earlier[-EARLIEST_LOOKBACK:]):
            first_t, first = sightings[0]
            if first_t - frame.t > EARLIEST_LOOKBACK * step_s + 1e-6:
                break
            steps = max(1, round((first_t - frame.t) / step_s))
            match = next((d for d in frame.detections if _continues(d, first, steps)), None)
            if match is None:
                continue
            claimed = match.model_copy(update={"track_id": track_id})
            frame.detections[frame.detections.index(match)] = claimed
            sightings.insert(0, (frame.t, claimed))


def _continues(candidate: Detection, first: Detection, steps: int) -> bool:
    return candidate.track_id is None and within_reach(candidate, first, steps)


def within_reach(candidate: Detection, first: Detection, steps: int) -> bool:
    """``candidate``, ``steps`` frames before ``first``, is near enough to be the same thing
    (a walker moves up to ~1.5 of its widths a frame at 2 fps)."""
    if class_group(candidate.label) != class_group(first.label):
        return False
    width = first.box[2] - first.box[0]
    dx = (candidate.box[0] + candidate.box[2] - first.box[0] - first.box[2]) / 2
    dy = (candidate.box[1] + candidate.box[3] - first.box[1] - first.box[3]) / 2
    return abs(dx) <= 1.5 * width * steps and abs(dy) <= width * steps


def _track(
    number: int,
    sightings: list[tuple[float, Detection]],
    start_s: float,
    end_s: float,
    step_s: float,
) -> Track:
    first_t, first = sightings[0]
    last_t, last = sightings[-1]
    colours = Counter(d.colour for _, d in sightings if d.colour)
    return Track(
        track_id=number,
        label=Counter(d.label for _, d in sightings).most_common(1)[0][0],
        first_s=round(first_t, 2),
        last_s=round(last_t, 2),
        colour=colours.most_common(1)[0][0] if colours else None,
        entered="inside" if first_t <= start_s + 1.5 * step_s else _edge(first.box),
        exited="inside" if last_t >= end_s - 1.5 * step_s else _edge(last.box),
        direction=_direction(first.box, last.box),
        detections=len(sightings),
        score=round(fmean(d.score for _, d in sightings), 3),
        path=[TrackPoint(t=round(t, 2), box=d.box) for t, d in _spread(sightings)],
    )


def _edge(box: list[float]) -> str:
    """The frame edge the box touches (the nearest one when several), or ``inside``."""
    x0, y0, x1, y1 = box
    gaps = {"left": x0, "right": 1 - x1, "top": y0, "bottom": 1 - y1}
    edge, gap = min(gaps.items(), key=lambda item: item[1])
    return edge if gap <= EDGE_MARGIN else "inside"


def _direction(first: list[float], last: list[float]) -> str | None:
    dx = (last[0] + last[2] - first[0] - first[2]) / 2
    dy = (last[1] + last[3] - first[1] - first[3]) / 2
    if max(abs(dx), abs(dy)) < STAYED_SHARE:
        return None
    if abs(dx) >= abs(dy):
        return "left to right" if dx > 0 else "right to left"
    return "top to bottom" if dy > 0 else "bottom to top"


def _spread(sightings: list[tuple[float, Detection]]) -> list[tuple[float, Detection]]:
    if len(sightings) <= PATH_POINTS:
        return sightings
    step = (len(sightings) - 1) / (PATH_POINTS - 1)
    return [sightings[round(i * step)] for i in range(PATH_POINTS)]
