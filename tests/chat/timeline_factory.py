"""Session documents with known content at known times, for chat, search and summary tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from videolens.store import SessionStore
from videolens.store.atomic import write_json_atomic

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


def make_document(session_id: str = "abcdefabcdef", **fields: Any) -> dict[str, Any]:
    frames = make_frames()
    document: dict[str, Any] = {
        "session_id": session_id,
        "status": "completed",
        "created_at": "2025-01-01T00:00:00+00:00",
        "updated_at": "2025-01-01T00:01:00+00:00",
        "video": {"path": "/videos/city.mp4", "duration_s": 120.0, "fps": 25.0, "width": 640,
                  "height": 360},
        "frames": frames,
        "coverage": {"frames": len(frames), "max_gap_s": STEP_S, "frames_per_min": 20.0},
        "timings": {},
        "shots": {"count": len(SHOT_STARTS_S), "starts_s": SHOT_STARTS_S},
    }  # fmt: skip
    document.update(fields)
    return document


def store_document(root: Path, document: dict[str, Any]) -> SessionStore:
    """Write ``document`` as a stored session under ``root`` and return the store."""
    store = SessionStore(root)
    write_json_atomic(root / document["session_id"] / "session.json", document)
    return store
