"""The typed model reads and writes exactly what the store holds and the CLI prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from timeline_helpers import Analysed

from videolens.store import SessionStore
from videolens.timeline import ChatAnswer, Moment, SessionDocument, StreamDocument


def _same_json(left: Any, right: Any) -> bool:
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


def test_documents_written_by_todays_main_still_load(main_document: dict[str, Any]) -> None:
    document = SessionDocument.model_validate(main_document)
    assert _same_json(document.as_json(), main_document)
    # The fields are typed, not carried as loose JSON.
    assert document.video.duration_s == pytest.approx(11.261)
    assert document.speech is not None and document.speech.segments[0].text.startswith("Of")
    first = document.frames[0]
    assert first.detections is not None and len(first.detections[0].box) == 4
    assert first.faces is not None and first.faces[0].w > 0
    assert first.colours is not None and first.colours[0].hex.startswith("#")


def test_a_real_run_survives_load_and_dump(analysed: Analysed) -> None:
    stored = json.loads(analysed.stored_path.read_text(encoding="utf-8"))
    assert stored["status"] == "completed" and stored["frames"]
    document = SessionDocument.model_validate(stored)
    assert _same_json(document.as_json(), stored)
    # `analyze --json` prints the stored document, through the model, field for field.
    assert _same_json(analysed.printed, stored)
    assert {f.reason for f in document.frames} >= {"shot"}
    assert any("HARBOR" in " ".join(f.text) for f in document.frames)


def test_unknown_fields_survive_a_round_trip(main_document: dict[str, Any]) -> None:
    main_document["from_the_future"] = {"kept": [1, 2]}
    main_document["frames"][0]["new_measure"] = 0.5
    main_document["video"]["hdr"] = True
    dumped = SessionDocument.model_validate(main_document).as_json()
    assert dumped["from_the_future"] == {"kept": [1, 2]}
    assert dumped["frames"][0]["new_measure"] == 0.5
    assert dumped["video"]["hdr"] is True


def test_a_box_is_four_numbers(main_document: dict[str, Any]) -> None:
    main_document["frames"][0]["detections"][0]["box"] = [0.1, 0.2, 0.3]
    with pytest.raises(ValidationError, match="box"):
        SessionDocument.model_validate(main_document)


def test_the_store_validates_what_it_writes(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    created = store.create("clip.mp4", {"strategy": "adaptive", "interval_s": 2.0})
    session_id = created.session_id
    with pytest.raises(ValidationError):
        store.update(session_id, status="finished-ish")
    with pytest.raises(ValidationError):
        store.write_batch(session_id, "b0", [{"index": 0, "timestamp_s": "soon"}])
    assert store.get(session_id)["status"] == "running"
    assert store.moments(session_id) == []


def test_the_store_reads_typed_documents(tmp_path: Path, main_document: dict[str, Any]) -> None:
    store = SessionStore(tmp_path)
    session_id = store.create("clip.mp4", main_document["options"]).session_id
    store.write_batch(session_id, "b0", main_document["frames"][:2])
    running = store.document(session_id)
    assert running.status == "running"
    assert [m.index for m in running.frames] == [2, 49]
    assert all(isinstance(m, Moment) for m in store.moments(session_id))
    fields = {k: v for k, v in main_document.items() if k not in ("session_id", "created_at")}
    store.update(session_id, **fields)
    done = store.document(session_id)
    assert done.status == "completed" and len(done.frames) == len(main_document["frames"])
    assert _same_json(done.as_json()["frames"], main_document["frames"])
    # The dict readers still return the same JSON.
    assert _same_json(store.get(session_id), done.as_json())


def test_stream_frames_and_documents_load() -> None:
    frame = {
        "description": "A person by a door.",
        "objects": ["door"],
        "people": ["person"],
        "text": [],
        "actions": [],
        "model": "basic",
        "seq": 42,
        "at": 1767268800.5,
        "at_iso": "2026-01-01T12:00:00.500+00:00",
        "image": "frames/0000000042.jpg",
        "reason": "floor",
        "motion": 1.5,
        "shot_start": False,
        "width": 640,
        "height": 360,
        "window": "1767268800000-0000000040",
    }
    document = {
        "stream_id": "abcdefghijkl",
        "status": "live",
        "created_at": "2026-01-01T12:00:00+00:00",
        "updated_at": "2026-01-01T12:00:05+00:00",
        "frames_total": 3,
        "events_total": 0,
        "latest": {k: frame[k] for k in ("seq", "at", "at_iso", "description", "reason")},
        "gaps": [{"start_at": 1.0, "end_at": 2.0, "seconds": 1.0, "reason": "reconnect"}],
        "source_error": "",
        "error": None,
        "name": "door",
        "url": "rtsp://cam/door",
        "owner": "local",
        "options": {"rules": ["person"], "retention_s": 3600.0, "record": False},
        "webhook": None,
        "speech": {"status": "none", "reason": "", "model": "", "segments": 0},
        "latest_speech": None,
    }
    assert Moment.model_validate(frame).as_json() == frame
    loaded = StreamDocument.model_validate(document)
    assert loaded.latest is not None and loaded.latest.seq == 42
    assert _same_json(loaded.as_json(), document)


@pytest.mark.parametrize(
    "answer",
    [
        {  # a session's (Answer.as_dict)
            "answer": "A harbor at [00:01].",
            "mode": "llm",
            "citations": [
                {
                    "timestamp_s": 1.0,
                    "frame_index": 25,
                    "valid": True,
                    "kind": "frame",
                    "segment_index": None,
                }
            ],
            "cached": False,
            "model": "tiny",
        },
        {  # a stream's (StreamAnswer.as_dict)
            "answer": "Someone came in at [12:00:01].",
            "mode": "offline",
            "citations": [
                {"text": "12:00:01", "at": 1767268801.0, "valid": True, "seq": 3, "frame_at": 1.0}
            ],
            "model": None,
            "time_zone": "UTC",
            "range": {"since": 1767268800.0, "until": None, "label": "today"},
        },
    ],
)
def test_one_chat_answer_model_reads_both_answers(answer: dict[str, Any]) -> None:
    assert ChatAnswer.model_validate(answer).as_json() == answer
