"""Session documents with known content at known times, for chat, search and summary tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from videolens.store import SessionStore
from videolens.store.atomic import write_json_atomic
from videolens.timeline.model import SessionDocument

# (description, on-screen text) every 3 s: frame i is at i * 3 s; 39 frames, 0:00-1:54.
SCENES: list[tuple[str, list[str]]] = (
    [("a title card on a dark background", ["WELCOME"])] * 2
    + [("a quiet street with parked cars and trees", [])] * 4
    + [("a red car drives along the street", [])] * 4
    + [("a harbour with fishing boats moored at the quay", ["HARBOR"])] * 2
    + [("seagulls fly over the boats in the harbour", [])] * 3
    + [("the red car stops at a traffic light", [])]
    + [("a cyclist passes the waiting car", [])]
    + [("pedestrians cross in front of the car", [])] * 3
    + [("a bakery shop window full of bread", ["BAKERY", "OPEN"])] * 2
    + [("a crowded market square with stalls", [])] * 4
    + [("a bus pulls into the station", ["LINE 42"])] * 3
    + [("a man reads a newspaper on a bench", [])] * 2
    + [("the sun sets over the sea", ["SUNSET"])] * 4
    + [("closing credits scroll on a black screen", ["THE END"])] * 4
)
STEP_S = 3.0
SHOT_STARTS_S = [0.0, 6.0, 18.0, 30.0, 45.0, 57.0, 63.0, 75.0, 84.0, 90.0, 102.0, 108.0]


def make_frames(
    scenes: list[tuple[str, list[str]]] = SCENES, step_s: float = STEP_S
) -> list[dict[str, Any]]:
    frames = []
    for i, (description, text) in enumerate(scenes):
        t = round(i * step_s, 3)
        frames.append(
            {
                "index": i,
                "timestamp_s": t,
                "image": f"/data/sessions/abcdefabcdef/frames/{i:06d}.jpg",
                "description": description,
                "objects": [],
                "people": [],
                "text": list(text),
                "actions": [],
                "model": "basic",
                "reason": "shot" if t in SHOT_STARTS_S else "floor",
                "shot_start": t in SHOT_STARTS_S,
                "motion": 0.1,
            }
        )
    return frames


def _completed(
    session_id: str,
    video: dict[str, Any],
    frames: list[dict[str, Any]],
    max_gap_s: float,
    frames_per_min: float,
    shot_starts_s: list[float],
) -> dict[str, Any]:
    """A completed session's document around ``frames``, as the store keeps it."""
    return {
        "session_id": session_id,
        "status": "completed",
        "created_at": "2025-01-01T00:00:00+00:00",
        "updated_at": "2025-01-01T00:01:00+00:00",
        "video": video,
        "frames": frames,
        "coverage": {
            "frames": len(frames),
            "max_gap_s": max_gap_s,
            "frames_per_min": frames_per_min,
        },
        "timings": {},
        "shots": {"count": len(shot_starts_s), "starts_s": shot_starts_s},
    }


def make_document(session_id: str = "abcdefabcdef", **fields: Any) -> dict[str, Any]:
    video = {"path": "/videos/city.mp4", "duration_s": 120.0, "fps": 25.0, "width": 640,
             "height": 360}  # fmt: skip
    document = _completed(session_id, video, make_frames(), STEP_S, 20.0, SHOT_STARTS_S)
    document.update(fields)
    return document


def store_document(root: Path, document: dict[str, Any]) -> SessionStore:
    """Write ``document`` as a stored session under ``root`` and return the store."""
    store = SessionStore(root)
    write_json_atomic(root / document["session_id"] / "session.json", document)
    return store


# A street scene like OpenCV's vtest.avi, as the basic backend with its detectors stores it:
# (people, other detections, faces, on-screen text, description) every 2 s; 40 frames, 0:00-1:18.
_STREET: list[tuple[int, dict[str, int], int, list[str], str]] = (
    [(n, {}, 0, [], f"{n} people walking on a paved street") for n in (2, 3, 3)]
    + [(n, {"car": 1}, 0, [], f"{n} people walking on a paved street; a car")
       for n in (4, 4, 3)]
    + [(n, {}, 0, [], f"{n} people walking on a paved street") for n in (2, 2, 1, 1)]
    # Empty street; two frames written the old way, with negative facts.
    + [(0, {}, 0, [], "An empty paved street")] * 2
    + [(0, {}, 0, [], "A dim frame dominated by grey; no faces detected; no people visible")] * 2
    + [(0, {}, 0, [], "An empty paved street")]
    + [(1, {}, 0, [], "a person walking on a paved street")]
    + [(2, {}, 1, [], "2 people walking; a face")] * 2
    + [(2, {"dog": 1}, 0, [], "2 people and a dog on a paved street")] * 2
    + [(1, {"bicycle": 1}, 0, [], "a person and a bicycle on a paved street")]
    + [(1, {}, 0, [], "a person walking on a paved street")] * 4
    + [(0, {}, 0, ["EXIT"], 'A shop front with the text "EXIT" on screen')] * 3
    + [(0, {}, 0, ["SALE 50%"], 'A shop window with the text "SALE 50%" on screen')] * 2
    + [(n, {}, 0, [], f"{n} people walking on a paved street") for n in (3, 4, 4, 5, 4)]
    + [(3, {"truck": 1}, 0, [], "3 people and a truck on a paved street")]
    + [(n, {}, 0, [], f"{n} people walking on a paved street") for n in (3, 2, 2, 2)]
)  # fmt: skip
STREET_STEP_S = 2.0
STREET_SHOTS_S = [0.0, 20.0, 50.0, 60.0]
STREET_SPEECH = [
    {"start_s": 2.2, "end_s": 5.5, "text": "Good morning, welcome to the market street."},
    {"start_s": 36.4, "end_s": 39.0, "text": "Watch out for the dog on the left."},
    {"start_s": 61.5, "end_s": 64.8, "text": "The bus to the harbour leaves at noon."},
    {"start_s": 84.0, "end_s": 88.0, "text": "Thank you for watching."},
]


def _box(i: int) -> list[float]:
    x = round(0.05 + 0.12 * (i % 7), 3)
    return [x, 0.3, round(x + 0.08, 3), 0.8]


def make_street_frames() -> list[dict[str, Any]]:
    frames = []
    for i, (people, others, faces, text, description) in enumerate(_STREET):
        t = round(i * STREET_STEP_S, 3)
        detections = [{"label": "person", "score": 0.8, "box": _box(k)} for k in range(people)]
        for label, count in others.items():
            detections += [{"label": label, "score": 0.7, "box": _box(k + 3)} for k in range(count)]
        objects = [f"{people} people" if people > 1 else "person"] if people else []
        objects += [label if n == 1 else f"{n} {label}s" for label, n in others.items()]
        frames.append(
            {
                "index": i,
                "timestamp_s": t,
                "image": f"/data/sessions/street000000/frames/{i:06d}.jpg",
                "width": 768,
                "height": 576,
                "reason": "shot" if t in STREET_SHOTS_S else "floor",
                "shot_start": t in STREET_SHOTS_S,
                "description": description,
                "objects": objects,
                "people": ["person"] * people,
                "text": list(text),
                "actions": [],
                "model": "basic",
                "detections": detections,
                "people_count": people,
                "faces": [{"x": 0.4, "y": 0.2, "w": 0.1, "h": 0.15}] * faces,
                "face_count": faces,
                "motion": 3.0,
            }
        )
    return frames


def make_street_document(
    session_id: str = "street000000", speech: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """The street scene; ``speech`` replaces the default transcript (``{}``: no speech record,
    as in sessions analysed before speech existed)."""
    video = {"path": "/videos/vtest.avi", "duration_s": 90.0, "fps": 10.0, "width": 768,
             "height": 576}  # fmt: skip
    document = _completed(
        session_id, video, make_street_frames(), STREET_STEP_S, 30.0, STREET_SHOTS_S
    )
    document["speech"] = {"status": "ok", "language": "en", "model": "tiny.en",
                          "segments": [dict(s) for s in STREET_SPEECH]}  # fmt: skip
    if speech is not None:
        if speech:
            document["speech"] = speech
        else:
            del document["speech"]
    document.update(fields)
    return document


def typed(document: dict[str, Any]) -> SessionDocument:
    """``document`` as the chat stack takes it (the store's ``document()``); a partial one (only
    its video, frames and shot starts) gets a completed session's remaining fields."""
    filled: dict[str, Any] = {"session_id": "abcdefabcdef", "status": "completed",
                              "created_at": "2025-01-01T00:00:00+00:00", **document}  # fmt: skip
    shots = filled.get("shots")
    if isinstance(shots, dict) and "count" not in shots:
        filled["shots"] = {"count": len(shots["starts_s"]), **shots}
    return SessionDocument.model_validate(filled)
