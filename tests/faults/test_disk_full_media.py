"""A full disk while a browser asks for a session's media: 507 now, the media once space is back.

The data dir is on a small filesystem the test mounts; the real app serves an AVI upload (which
browsers cannot play, so its playable copy must be written) through uvicorn. A full disk is a
failure of the moment: nothing about it may be kept as the video's final answer.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from test_disk_full import small_filesystem

from live_server import LiveServer, analysed_upload, serving
from videolens.config import Settings
from videolens.video.synthetic import ClipSpec, Shot, write_clip

DISK_KB = 8 * 1024
ROOM_LEFT = 16 * 1024


@pytest.fixture
def api_on_small_disk(tmp_path: Path, settings: Settings) -> Iterator[LiveServer]:
    with (
        small_filesystem(tmp_path / "disk", DISK_KB) as disk,
        serving(settings.model_copy(update={"data_dir": disk / "data"})) as live,
    ):
        yield live


@pytest.fixture(scope="module")
def avi_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    """6 s of MPEG-4 part 2 in AVI: a video no browser plays as it is."""
    return write_clip(
        tmp_path_factory.mktemp("avi") / "walk.avi",
        [Shot(3.0, (200, 40, 40), "ONE"), Shot(3.0, (30, 120, 200), "TWO")],
        codec="mpeg4",
        width=320,
        height=180,
    )


def _insufficient_storage(response: httpx.Response) -> None:
    assert response.status_code == 507, (response.status_code, response.text)
    assert response.json()["error"]["code"] == "insufficient_storage"


def _decoded_frames(body: bytes) -> int:
    with av.open(io.BytesIO(body)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_a_full_disk_is_507_and_the_video_plays_once_space_is_freed(
    api_on_small_disk: LiveServer, avi_clip: ClipSpec
) -> None:
    live = api_on_small_disk
    disk = live.settings.data_dir.parent
    with live.client() as client:
        session_id = analysed_upload(live, client, avi_clip.path, "walk.avi")
        filler = disk / "filler"
        # Written, not truncated (a sparse file takes no room).
        filler.write_bytes(bytes(shutil.disk_usage(disk).free - ROOM_LEFT))

        _insufficient_storage(client.get(f"/v1/sessions/{session_id}/video"))
        _insufficient_storage(client.get(f"/v1/sessions/{session_id}/clip", params={"t": "2"}))
        # Asked again while still full: the same answer, not a remembered "cannot play".
        _insufficient_storage(client.get(f"/v1/sessions/{session_id}/video"))

        filler.unlink()
        video = client.get(f"/v1/sessions/{session_id}/video")
        assert video.status_code == 200, video.text
        assert video.headers["content-type"] == "video/mp4"
        assert _decoded_frames(video.content) >= 6 * avi_clip.fps - 2
        clip = client.get(f"/v1/sessions/{session_id}/clip", params={"t": "2"})
        assert clip.status_code == 200, clip.text
        assert _decoded_frames(clip.content) > 0
