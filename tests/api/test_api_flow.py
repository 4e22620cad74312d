"""Upload → 202 → live events → completed result, then frames, images and ranged video."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets
from api_helpers import leftovers, upload

from live_server import LiveServer, serving
from polling import poll
from videolens.config import Settings
from videolens.store import SessionStore
from videolens.video.synthetic import ClipSpec


async def _events(url: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with websockets.connect(url) as socket:
        async for message in socket:
            events.append(json.loads(message))
    return events


def test_upload_streams_events_until_completed(api: LiveServer, text_clip: ClipSpec) -> None:
    with api.client() as client:
        response = upload(client, text_clip.path, "holiday clip.mp4")
        assert response.status_code == 202, response.text
        body = response.json()
        session_id = body["session_id"]
        assert body["status"] == "running"
        assert response.headers["location"] == f"/v1/sessions/{session_id}"

        events = asyncio.run(_events(f"{api.ws_url}/v1/sessions/{session_id}/events"))
        assert events[0]["type"] == "state"
        assert events[-1]["type"] == "final"
        assert events[-1]["status"] == "completed"
        kinds = {event["type"] for event in events}
        assert "progress" in kinds or events[0]["session"]["status"] == "completed"
        pushed = [f["index"] for e in events if e["type"] == "frames" for f in e["frames"]]
        pushed += [f["index"] for f in events[0]["session"]["frames"]]
        assert len(pushed) == len(set(pushed)), "a frame was pushed twice"

        session = client.get(f"/v1/sessions/{session_id}").json()
        assert session["status"] == "completed"
        assert session["filename"] == "holiday clip.mp4"
        assert session["video"]["duration_s"] == pytest.approx(text_clip.duration_s, abs=0.1)
        assert "path" not in session["video"]
        assert session["coverage"]["frames"] == session["frames"] > 0
        # Without a chat model the pipeline writes an extractive summary and shot chapters.
        assert session["summary_mode"] == "shots"
        assert isinstance(session["summary"], str) and session["summary"]
        assert session["chapters"], "no chapters"
        for chapter in session["chapters"]:
            assert set(chapter) == {"start_s", "title"} and chapter["title"]
        starts = [chapter["start_s"] for chapter in session["chapters"]]
        assert starts == sorted(starts) and starts[0] >= 0
        assert sorted(pushed) == sorted(
            f["index"] for f in client.get(f"/v1/sessions/{session_id}/frames").json()["frames"]
        )

        page = client.get(f"/v1/sessions/{session_id}/frames", params={"limit": 2, "offset": 1})
        frames = page.json()
        assert frames["total"] == session["frames"] and len(frames["frames"]) == 2
        times = [f["timestamp_s"] for f in frames["frames"]]
        assert times == sorted(times)
        image = client.get(frames["frames"][0]["image_url"])
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/jpeg"
        assert image.content[:2] == b"\xff\xd8"
        assert client.get(f"/v1/sessions/{session_id}/frames/99999/image").status_code == 404

        listed = client.get("/v1/sessions").json()["sessions"]
        assert [s["session_id"] for s in listed] == [session_id]
        assert listed[0]["filename"] == "holiday clip.mp4"
        assert listed[0]["frames"] == session["frames"]

        # Reconnecting after the end: the current state first, then the final event.
        again = asyncio.run(_events(f"{api.ws_url}/v1/sessions/{session_id}/events"))
        assert [e["type"] for e in again] == ["state", "final"]
        assert again[0]["session"]["status"] == "completed"


def test_video_supports_range_requests(api: LiveServer, text_clip: ClipSpec) -> None:
    original = text_clip.path.read_bytes()
    size = len(original)
    with api.client() as client:
        session_id = upload(client, text_clip.path).json()["session_id"]
        url = f"/v1/sessions/{session_id}/video"
        whole = client.get(url)
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "video/mp4"
        assert whole.headers["accept-ranges"] == "bytes"
        assert whole.content == original

        part = client.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 100-199/{size}"
        assert part.content == original[100:200]

        tail = client.get(url, headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.content == original[-50:]
        rest = client.get(url, headers={"Range": f"bytes={size - 10}-"})
        assert rest.content == original[-10:]

        beyond = client.get(url, headers={"Range": f"bytes={size + 10}-{size + 20}"})
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == f"bytes */{size}"
        _wait_until_done(client, session_id)


def test_cancel_keeps_the_frames_described_so_far(api: LiveServer, long_clip: ClipSpec) -> None:
    with api.client() as client:
        response = upload(client, long_clip.path, strategy="interval", interval_s="0.25")
        assert response.status_code == 202, response.text
        session_id = response.json()["session_id"]
        url = f"/v1/sessions/{session_id}"
        assert client.get(url).json()["options"]["interval_s"] == 0.25

        def described() -> bool:
            progress = client.get(url).json()["progress"]
            return bool(progress and progress["frames_described"] > 0)

        poll(described, 60, "the first described batch")
        cancelled = client.post(f"{url}/cancel")
        assert cancelled.status_code == 202
        assert cancelled.json() == {"session_id": session_id, "status": "cancelling"}
        document = _wait_until_done(client, session_id)
        assert document["status"] == "cancelled"
        assert 0 < document["frames"] < 160
        again = client.post(f"{url}/cancel")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "not_running"


def test_delete_removes_everything_even_while_running(api: LiveServer, long_clip: ClipSpec) -> None:
    data_dir: Path = api.settings.data_dir
    with api.client() as client:
        running = upload(client, long_clip.path, strategy="interval", interval_s="0.25").json()
        done = upload(client, long_clip.path, max_frames="3").json()
        _wait_until_done(client, done["session_id"])
        for session_id in (running["session_id"], done["session_id"]):
            assert (data_dir / "sessions" / session_id).is_dir()
            response = client.delete(f"/v1/sessions/{session_id}")
            assert response.status_code == 204
            assert not (data_dir / "sessions" / session_id).exists()
            missing = client.get(f"/v1/sessions/{session_id}")
            assert missing.status_code == 404
            assert missing.json()["error"]["code"] == "not_found"
        assert client.get("/v1/sessions").json()["sessions"] == []
    assert leftovers(data_dir) == []


def _wait_until_done(client: Any, session_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        response = client.get(f"/v1/sessions/{session_id}")
        if response.status_code == 429:  # polled past the rate limit on a slow run: ask again
            return None
        document: dict[str, Any] = response.json()
        return None if document["status"] == "running" else document

    result: dict[str, Any] = poll(finished, 120, "the analysis to end")
    return result


def test_the_list_counts_the_frames_described_so_far(settings: Settings) -> None:
    """A running session's frames live in batch files until it completes; the list counts them."""
    store = SessionStore(settings.sessions_dir)
    running = store.create("/videos/walk.mp4", {}).session_id
    store.update(running, filename="walk.mp4")
    store.write_batch(running, "b0", [_frame(0, 0.0), _frame(1, 1.0)])
    store.write_batch(running, "b1", [_frame(2, 2.0)])
    store.write_batch(running, "b1", [_frame(2, 2.0)])  # a retried batch replaces its file
    empty = store.create("/videos/other.mp4", {}).session_id
    with serving(settings, run_workers=False) as live, live.client() as client:
        listed = client.get("/v1/sessions").json()["sessions"]
    counted = {s["session_id"]: (s["status"], s["frames"]) for s in listed}
    assert counted == {running: ("running", 3), empty: ("running", 0)}
    assert next(s for s in listed if s["session_id"] == running)["filename"] == "walk.mp4"


def _frame(index: int, timestamp_s: float) -> dict[str, Any]:
    return {"index": index, "timestamp_s": timestamp_s, "description": f"frame {index}"}
