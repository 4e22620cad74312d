"""Every bad upload gets its 4xx with the JSON error shape, and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_helpers import leftovers, upload

from live_server import LiveServer, serving
from videolens.config import Settings
from videolens.video.synthetic import ClipSpec

LIMIT = 200_000


@pytest.fixture
def small_limit_api(settings: Settings) -> Iterator[LiveServer]:
    with serving(settings.model_copy(update={"max_upload_bytes": LIMIT})) as live:
        yield live


def _error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, str] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.mark.parametrize(
    ("name", "content", "status", "code", "shown"),
    [
        ("notes.mp4", b"this is not a video\n" * 500, 415, "invalid_video", "notes.mp4"),
        ("empty.mp4", b"", 422, "empty_upload", ""),
        ("image.mp4", b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, 415, "invalid_video", "image.mp4"),
        ("../../etc/passwd.mp4", b"root:x:0:0::/root:/bin/sh\n" * 50, 415, "invalid_video",
         "passwd.mp4"),
    ],
)  # fmt: skip
def test_bad_content_is_rejected_by_content(
    small_limit_api: LiveServer,
    tmp_path: Path,
    name: str,
    content: bytes,
    status: int,
    code: str,
    shown: str,
) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(content)
    with small_limit_api.client() as client:
        error = _error(upload(client, source, name), status, code)
    assert error["field"] == "file"
    # Messages name the upload by its label only: no client path, no server path.
    assert shown in error["message"]
    assert "/" not in error["message"] and ".part" not in error["message"]
    assert leftovers(small_limit_api.settings.data_dir) == []
    assert not (tmp_path.parent / "etc").exists()


def test_truncated_video_is_rejected(
    small_limit_api: LiveServer, text_clip: ClipSpec, tmp_path: Path
) -> None:
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(text_clip.path.read_bytes()[: text_clip.path.stat().st_size // 2])
    with small_limit_api.client() as client:
        error = _error(upload(client, truncated), 415, "invalid_video")
    assert "cut.mp4" in error["message"] and ".part" not in error["message"]
    assert leftovers(small_limit_api.settings.data_dir) == []


def test_over_the_limit_is_stopped_while_streaming(
    small_limit_api: LiveServer, tmp_path: Path
) -> None:
    with small_limit_api.client() as client:
        # Declared up front: refused before the body is read.
        big = tmp_path / "big.mp4"
        big.write_bytes(b"\0" * (LIMIT + 100_000))
        _error(upload(client, big), 413, "payload_too_large")

        # Chunked (no Content-Length): counted while streaming.
        def body() -> Iterator[bytes]:
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\n\r\n'
            for _ in range(LIMIT // 10_000 + 5):
                yield b"\0" * 10_000
            yield b"\r\n--b--\r\n"

        chunked = client.post(
            "/v1/videos",
            content=body(),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        error = _error(chunked, 413, "payload_too_large")
        assert str(LIMIT) in error["message"]
    assert leftovers(small_limit_api.settings.data_dir) == []


def test_traversal_filename_is_only_a_label(api: LiveServer, text_clip: ClipSpec) -> None:
    with api.client() as client:
        response = upload(client, text_clip.path, "../../../etc/passwd.mp4")
        assert response.status_code == 202, response.text
        assert response.json()["filename"] == "passwd.mp4"
        session_id = response.json()["session_id"]
        client.delete(f"/v1/sessions/{session_id}")
    # The video went into the session as video.mp4; nothing was written outside the data dir.
    assert not (api.settings.data_dir.parent / "etc").exists()
    assert leftovers(api.settings.data_dir) == []


def test_malformed_requests_name_the_field(api: LiveServer, text_clip: ClipSpec) -> None:
    with api.client() as client:
        no_file = client.post("/v1/videos", files={"other": ("a.txt", b"x")})
        assert _error(no_file, 422, "validation_error")["field"] == "file"
        bad_option = upload(client, text_clip.path, interval_s="-1")
        assert _error(bad_option, 422, "validation_error")["field"] == "interval_s"
        unknown = upload(client, text_clip.path, backend="nope")
        assert _error(unknown, 422, "validation_error")["field"] == "backend"
        extra = upload(client, text_clip.path, colour="red")
        assert _error(extra, 422, "validation_error")["field"] == "colour"
        raw = client.post("/v1/videos", content=b"abc", headers={"Content-Type": "video/mp4"})
        _error(raw, 415, "unsupported_media_type")
        broken = client.post(
            "/v1/videos",
            content=b"--b\r\nno headers end",
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert 400 <= broken.status_code < 500
        paging = client.get("/v1/sessions/abc/frames", params={"limit": 0})
        assert _error(paging, 422, "validation_error")["field"] == "limit"
    assert leftovers(api.settings.data_dir) == []
