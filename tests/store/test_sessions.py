"""The session store: atomic documents, per-batch results, ids that are never paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from videolens.errors import SessionNotFoundError
from videolens.store import SessionStatus, SessionStore


def _frame(index: int, timestamp_s: float) -> dict[str, object]:
    return {"index": index, "timestamp_s": timestamp_s, "description": f"frame {index}"}


def test_create_get_list(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    created = store.create("/videos/a.mp4", {"strategy": "adaptive"})
    session_id = created.session_id
    assert store.get(session_id)["status"] == "running"
    assert [s.session_id for s in store.list_sessions()] == [session_id]
    assert not list(tmp_path.rglob("*.tmp")), "a temporary file was left behind"


def test_batches_merge_in_time_order_and_a_rewritten_batch_does_not_duplicate(
    tmp_path: Path,
) -> None:
    store = SessionStore(tmp_path)
    session_id = store.create("/v.mp4", {}).session_id
    store.write_batch(session_id, "s0001b0000", [_frame(50, 2.0), _frame(75, 3.0)])
    store.write_batch(session_id, "s0000b0000", [_frame(0, 0.0), _frame(25, 1.0)])
    store.write_batch(session_id, "s0001b0000", [_frame(50, 2.0), _frame(75, 3.0)])  # a retry
    frames = store.get(session_id)["frames"]
    assert [f["index"] for f in frames] == [0, 25, 50, 75]


def test_finish_removes_scratch_files_and_keeps_the_result(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session_id = store.create("/v.mp4", {}).session_id
    scratch = store.temp_dir(session_id)
    scratch.mkdir(parents=True)
    (scratch / "partial.bin").write_bytes(b"x")
    store.finish(session_id, SessionStatus.FAILED, error="the file is not a video")
    document = json.loads((tmp_path / session_id / "session.json").read_text())
    assert document["status"] == "failed"
    assert document["error"] == "the file is not a video"
    assert not scratch.exists()


def test_delete_removes_everything(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session_id = store.create("/v.mp4", {}).session_id
    store.frames_dir(session_id).mkdir(parents=True)
    (store.frames_dir(session_id) / "frame_0000000.jpg").write_bytes(b"jpeg")
    store.delete(session_id)
    assert not (tmp_path / session_id).exists()
    with pytest.raises(SessionNotFoundError):
        store.get(session_id)


@pytest.mark.parametrize("hostile", ["../../etc", "..", "/etc/passwd", "ABCDEFGHIJKL", "a/b"])
def test_malicious_session_ids_are_rejected_not_used_as_paths(tmp_path: Path, hostile: str) -> None:
    store = SessionStore(tmp_path / "sessions")
    with pytest.raises(SessionNotFoundError):
        store.get(hostile)
    with pytest.raises(SessionNotFoundError):
        store.delete(hostile)


def test_hostile_batch_id_is_refused(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session_id = store.create("/v.mp4", {}).session_id
    with pytest.raises(ValueError):
        store.write_batch(session_id, "../../escape", [])
