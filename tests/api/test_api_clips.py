"""Clips and contact sheets through the real app: a generated video (every frame shows its own
index, a keyframe every second) is uploaded and analysed by the real pipeline, then cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from api_helpers import upload

from clip_media import CounterClip, decoded_numbers, frame_number, write_counter_clip
from live_server import LiveServer, final_status, serving
from videolens.api.security import KeyStore
from videolens.config import Settings
from videolens.store import SessionStore

FPS = 25
GAP, HEADER = 4, 36  # the sheet's layout (videolens.video.contact_sheet)


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> CounterClip:
    path = tmp_path_factory.mktemp("counter") / "counter.mp4"
    return write_counter_clip(path, seconds=8.0, fps=FPS, gop=FPS, audio_codec="aac")


def _final_status(api: LiveServer, session_id: str) -> str:
    return final_status(f"{api.ws_url}/v1/sessions/{session_id}/events")


def _numbers(body: bytes, tmp_path: Path) -> list[int]:
    clip = tmp_path / "downloaded.mp4"
    clip.write_bytes(body)
    numbers, times = decoded_numbers(clip)
    assert times[0] == 0.0
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "frames missing"
    return numbers


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def test_clips_and_sheets_of_an_analysed_session(
    settings: Settings, counter: CounterClip, tmp_path: Path
) -> None:
    with serving(settings) as api, api.client() as client:
        response = upload(client, counter.path, "walk in the park.mp4")
        assert response.status_code == 202, response.text
        session_id = response.json()["session_id"]
        assert _final_status(api, session_id) == "completed"
        url = f"/v1/sessions/{session_id}"

        clip = client.get(f"{url}/clip", params={"t": "0:04.5", "before": 2, "after": 2})
        assert clip.status_code == 200, clip.text
        assert clip.headers["content-type"] == "video/mp4"
        assert clip.headers["x-clip-method"] == "copy"
        assert clip.headers["x-clip-start"] == "2.000"  # the keyframe before 2.5 s
        assert clip.headers["content-disposition"] == (
            'attachment; filename="walk_in_the_park-2.5s-6.5s.mp4"'
        )
        numbers = _numbers(clip.content, tmp_path)
        # Starts within one GOP of the asked start, lasts to the asked end (6.5 s: frame 162).
        assert numbers[0] == 50 and 162 <= numbers[-1] <= 164
        assert float(clip.headers["x-clip-duration"]) == pytest.approx(len(numbers) / FPS)
        cached = settings.data_dir / "sessions" / session_id / "clips" / "2500-6500.mp4"
        assert cached.read_bytes() == clip.content
        inode = cached.stat().st_ino
        again = client.get(f"{url}/clip", params={"t": "4.5", "before": 2, "after": 2})
        assert again.content == clip.content and cached.stat().st_ino == inode  # not cut again

        # A cited moment, as the web UI asks for it: the defaults, 3 s before and 5 s after.
        frames = client.get(f"{url}/frames").json()["frames"]
        assert len(frames) >= 4
        moment = frames[len(frames) // 2]["timestamp_s"]
        cited = client.get(f"{url}/clip", params={"t": moment})
        assert cited.status_code == 200, cited.text
        first = _numbers(cited.content, tmp_path)[0]
        asked = max(0, round((moment - 3) * FPS))
        assert asked - FPS <= first <= asked

        _check_bad_requests(client, url)
        _check_sheets(client, url, frames)

        # The source deleted under the session: clips say so, the sheet still shows the moments.
        document = SessionStore(settings.sessions_dir).get(session_id)
        Path(document["video"]["path"]).unlink()
        gone = client.get(f"{url}/clip", params={"t": "1"})
        assert gone.status_code == 404
        assert _error(gone)["code"] == "video_unavailable"
        assert "walk in the park.mp4) is no longer there" in _error(gone)["message"]
        assert client.get(f"{url}/sheet", params={"n": 2}).status_code == 200


def _check_bad_requests(client: httpx.Client, url: str) -> None:
    cases = [
        ({"t": "99"}, "t", "outside the video, which lasts 00:08.0"),
        ({"t": "soon"}, "t", "'soon' is not a time"),
        ({"t": "1:75"}, "t", "minutes and seconds go up to 59"),
        ({}, "t", "t: Field required"),
        ({"t": "2", "before": "-1"}, "before", "greater than or equal to 0"),
        ({"t": "2", "before": "100", "after": "30"}, "before", "a clip lasts at most 120 s"),
        ({"t": "8", "before": "0"}, "after", "nothing to cut at 00:08.0"),
    ]
    for params, field, message in cases:
        response = client.get(f"{url}/clip", params=params)
        assert response.status_code == 422, (params, response.text)
        error = _error(response)
        assert error["field"] == field and message in error["message"], (params, error)
    assert client.get("/v1/sessions/nosuchsessio/clip", params={"t": "1"}).status_code == 404


def _check_sheets(client: httpx.Client, url: str, frames: list[dict[str, Any]]) -> None:
    response = client.get(f"{url}/sheet", params={"n": 4})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-sheet-source"] == "moments"
    sheet = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    tile_w, tile_h = 320, 180
    assert sheet.shape == (HEADER + 2 * (tile_h + GAP) + GAP, 2 * (tile_w + GAP) + GAP, 3)
    times = sorted(f["timestamp_s"] for f in frames)
    picked = [times[round(i * (len(times) - 1) / 3)] for i in range(4)]
    for i, seconds in enumerate(picked):
        row, column = divmod(i, 2)
        top, left = HEADER + GAP + row * (tile_h + GAP), GAP + column * (tile_w + GAP)
        tile = sheet[top : top + tile_h, left : left + tile_w]
        assert frame_number(tile) == round(seconds * FPS), (i, seconds)
    png = client.get(f"{url}/sheet", params={"n": 2, "format": "png"})
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    for params in ({"n": 0}, {"n": 101}, {"format": "gif"}):
        assert client.get(f"{url}/sheet", params=params).status_code == 422, params


def test_clips_belong_to_the_session_owner(
    settings: Settings, counter: CounterClip, tmp_path: Path
) -> None:
    keys = KeyStore(settings.data_dir / "keys.json")
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    # No workers: the session stays running, and its video can be cut all the same.
    with serving(settings, run_workers=False) as api, api.client(alice) as a:
        session_id = upload(a, counter.path).json()["session_id"]
        clip_url = f"/v1/sessions/{session_id}/clip"
        assert a.get(clip_url, params={"t": "3"}).status_code == 200
        with api.client(bob) as b:
            other = b.get(clip_url, params={"t": "3"})
            assert other.status_code == 404 and _error(other)["code"] == "not_found"
            assert b.get(f"/v1/sessions/{session_id}/sheet").status_code == 404
        with api.client() as anonymous:
            assert anonymous.get(clip_url, params={"t": "3"}).status_code == 401
            # A download link carries the key in the URL, as <video> and <img> do.
            linked = anonymous.get(clip_url, params={"t": "3", "api_key": alice})
            assert linked.status_code == 200
            assert _numbers(linked.content, tmp_path)[0] == 0
