"""The street scene of ``timeline_factory`` with the tracks a tracking pass would add: people,
a car, a dog, a bicycle and a truck followed across frames, with their edges, headings and
colours known."""

from __future__ import annotations

from typing import Any

from timeline_factory import make_street_document

# (id, label, first_s, last_s, entered, exited, direction, colour); the video lasts 90 s.
STREET_TRACKS: list[tuple[int, str, float, float, str, str, str | None, str]] = [
    (1, "person", 0.0, 12.5, "inside", "right", "left to right", "red"),
    (2, "person", 0.0, 9.0, "inside", "left", "right to left", "blue"),
    (3, "person", 3.2, 17.0, "left", "right", "left to right", "black"),
    (4, "person", 6.4, 19.0, "left", "right", "left to right", "white"),
    (5, "car", 5.0, 10.5, "right", "left", "right to left", "white"),
    (6, "person", 28.3, 46.0, "left", "right", "left to right", "green"),
    (7, "person", 32.0, 40.0, "right", "left", "right to left", "red"),
    (8, "dog", 35.5, 39.2, "left", "right", "left to right", "brown"),
    (9, "bicycle", 39.6, 41.0, "left", "right", "left to right", "blue"),
    (10, "person", 60.0, 89.5, "inside", "inside", None, "grey"),
    (11, "truck", 69.0, 71.5, "right", "right", None, "white"),
    (12, "person", 62.0, 89.5, "bottom", "inside", "bottom to top", "black"),
]
DISTINCT_PEOPLE = sum(1 for t in STREET_TRACKS if t[1] == "person")


def track(
    track_id: int, label: str, first_s: float, last_s: float, entered: str, exited: str,
    direction: str | None, colour: str,
) -> dict[str, Any]:  # fmt: skip
    """A stored track (two path points: where it came in, where it went out)."""
    return {
        "track_id": track_id, "label": label, "first_s": first_s, "last_s": last_s,
        "entered": entered, "exited": exited, "direction": direction, "colour": colour,
        "detections": round((last_s - first_s) * 5), "score": 0.7,
        "path": [{"t": first_s, "box": [0.0, 0.3, 0.1, 0.8]},
                 {"t": last_s, "box": [0.9, 0.3, 1.0, 0.8]}],
    }  # fmt: skip


def make_tracked_street_document(session_id: str = "street000000") -> dict[str, Any]:
    """The street scene after a tracking pass at 5 fps."""
    return make_street_document(
        session_id,
        tracks=[track(*row) for row in STREET_TRACKS],
        tracking={"fps": 5.0, "frames": 450, "detector": "ssd-mobilenet", "tracker": "bytetrack"},
    )


# Five tracks of four people: #2 is lost mid-frame at 0:20 and found again as #3 1.5 s later;
# #5 is lost at 0:45 and #4 comes out of a door mid-frame at 0:50, 5 s later (two people).
BROKEN_TRACKS: list[tuple[int, str, float, float, str, str, str | None, str]] = [
    (1, "person", 0.0, 30.0, "inside", "right", "left to right", "red"),
    (2, "person", 5.0, 20.0, "left", "inside", "left to right", "blue"),
    (3, "person", 21.5, 40.0, "inside", "right", "left to right", "blue"),
    (4, "person", 50.0, 60.0, "inside", "left", "right to left", "green"),
    (5, "person", 30.0, 45.0, "right", "inside", "right to left", "black"),
]


def make_broken_tracks_document(session_id: str = "street000000") -> dict[str, Any]:
    """The street scene with ``BROKEN_TRACKS`` in place of its own."""
    return make_street_document(
        session_id,
        tracks=[track(*row) for row in BROKEN_TRACKS],
        tracking={"fps": 2.0, "frames": 180, "detector": "ssd-mobilenet", "tracker": "bytetrack"},
    )
