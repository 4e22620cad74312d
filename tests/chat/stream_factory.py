"""Live streams with known content at known wall-clock times, written through the StreamStore's
own write API (as the stream workflow writes them), for chat and search tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videolens.streams.store import StreamStore, iso
from videolens.streams.types import window_name
from videolens.timeline.model import Moment, StreamEvent

STEP_S = 4.0
FRAMES_PER_WINDOW = 2


@dataclass
class Scene:
    """What a frame shows: detected people and cars, on-screen text."""

    people: int = 0
    cars: int = 0
    text: list[str] = field(default_factory=list)


def frame_record(
    store: StreamStore, stream_id: str, seq: int, at: float, scene: Scene
) -> dict[str, Any]:
    """A frame as the basic backend describes one (detections, counts, OCR text)."""
    image = store.frames_dir(stream_id) / f"{seq:010d}.jpg"
    parts = []
    if scene.people:
        parts.append("a person" if scene.people == 1 else f"{scene.people} people")
    if scene.cars:
        parts.append("a car on the right")
    description = "; ".join([*parts, "a frame dominated by grey"]).capitalize() + "."
    objects = list(parts)
    detections = [{"label": "person", "score": 0.9, "box": [0.1, 0.2, 0.3, 0.9]}] * scene.people
    detections += [{"label": "car", "score": 0.8, "box": [0.6, 0.5, 0.9, 0.8]}] * scene.cars
    return {
        "seq": seq,
        "at": at,
        "at_iso": iso(at),
        "image": str(image),
        "reason": "floor",
        "motion": 0.1,
        "shot_start": seq == 0,
        "width": 640,
        "height": 360,
        "window": "",
        "description": description,
        "objects": [o.replace(" on the right", "") for o in objects],
        "people": ["person"] * scene.people,
        "text": list(scene.text),
        "actions": [],
        "model": "basic",
        "detections": detections,
        "people_count": scene.people,
        "face_count": 0,
    }


def build_stream(
    store: StreamStore,
    times: list[float],
    scene_at: Callable[[float], Scene],
    *,
    owner: str = "local",
    rules: tuple[str, ...] = ("car", "word:exit"),
    **document: Any,
) -> str:
    """A stream whose frames are at ``times`` showing ``scene_at(at)``; events for cars and the
    word EXIT; the JPEGs are written too (the API serves them)."""
    created = store.create(
        {"name": "street", "owner": owner, "options": {"rules": list(rules)}, **document},
        {"url": "udp://127.0.0.1:5000"},
    )
    stream_id = created.stream_id
    store.frames_dir(stream_id).mkdir(parents=True, exist_ok=True)
    records = [
        frame_record(store, stream_id, seq, at, scene_at(at)) for seq, at in enumerate(times)
    ]
    for record in records:
        Path(record["image"]).write_bytes(b"\xff\xd8\xff\xd9")
    for start in range(0, len(records), FRAMES_PER_WINDOW):
        window = records[start : start + FRAMES_PER_WINDOW]
        name = window_name(window[0]["at"], window[0]["seq"])
        for record in window:
            record["window"] = name
        store.write_moments(stream_id, name, [Moment.model_validate(r) for r in window])
        events = _events(stream_id, name, window)
        if events:  # as the workflow does: a window without events writes no file
            store.write_stream_events(
                stream_id, name, [StreamEvent.model_validate(e) for e in events]
            )
    last = records[-1] if records else None
    latest = {k: last[k] for k in ("seq", "at", "at_iso", "description", "text")} if last else None
    store.update(
        stream_id,
        status=document.get("status", "live"),
        frames_total=len(records),
        last_frame_at=last["at"] if last else None,
        latest=latest,
    )
    return stream_id


def _events(stream_id: str, name: str, window: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events the rules "car" and "word:exit" raise on ``window``'s frames."""
    events = []
    for record in window:
        matches = []
        if any(d["label"] == "car" for d in record["detections"]):
            matches.append(("car", "label", "car"))
        if "EXIT" in record["text"]:
            matches.append(("word:exit", "word", "'EXIT' on screen"))
        for n, (rule, kind, match) in enumerate(matches):
            events.append(
                {
                    "event_id": f"{record['seq']:010d}-{n}",
                    "stream_id": stream_id,
                    "rule": rule,
                    "kind": kind,
                    "match": match,
                    "at": record["at"],
                    "at_iso": record["at_iso"],
                    "seq": record["seq"],
                    "description": record["description"],
                    "window": name,
                    "image": record["image"],
                }
            )
    return events


def gap(start_at: float, end_at: float, reason: str = "source dropped") -> dict[str, Any]:
    """A stretch nobody watched, as the stream document records one."""
    return {
        "start_at": start_at,
        "end_at": end_at,
        "start_iso": iso(start_at),
        "end_iso": iso(end_at),
        "seconds": round(end_at - start_at, 3),
        "reason": reason,
    }
