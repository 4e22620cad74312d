"""Clients that misbehave mid-upload, through a raw socket against the real app under uvicorn.

One that hangs up is a 499 (logged once, no traceback, not a 5xx); one that declares a body and
stalls is dropped after the read timeout with a 408. Neither leaves its part on disk.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from api_helpers import leftovers

from live_server import LiveServer, serving
from polling import poll
from videolens.config import Settings

READ_TIMEOUT_S = 1.0
DECLARED_BYTES = 5_000_000
BOUNDARY = "hostileboundary"


@pytest.fixture
def impatient_api(settings: Settings) -> Iterator[LiveServer]:
    with serving(settings.model_copy(update={"upload_read_timeout_s": READ_TIMEOUT_S})) as live:
        yield live


@pytest.fixture
def server_log() -> Iterator[list[logging.LogRecord]]:
    """What uvicorn and the app log while the test runs (uvicorn's loggers do not propagate)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    watched = [logging.getLogger(name) for name in ("uvicorn.error", "videolens")]
    levels = [logger.level for logger in watched]
    for logger in watched:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        for logger, level in zip(watched, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def _start_upload(live: LiveServer) -> socket.socket:
    """Open a connection and send an upload's headers and the first 64 KB of a 5 MB body."""
    host, port = live.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    request = (
        f"POST /v1/videos HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {DECLARED_BYTES}\r\n\r\n"
    ).encode()
    sock.sendall(request + head + b"\0" * 65536)
    return sock


def _uploads_by_status(live: LiveServer) -> dict[str, float]:
    text = httpx.get(f"{live.url}/metrics", timeout=30).text
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith('videolens_uploads_total{status="'):
            label, value = line.split(" ")
            counts[label.split('"')[1]] = float(value)
    return counts


def _parts(live: LiveServer) -> list[str]:
    return [p.name for p in leftovers(live.settings.data_dir)]


def test_a_dropped_upload_is_a_499_without_a_part_or_a_traceback(
    api: LiveServer, server_log: list[logging.LogRecord]
) -> None:
    sock = _start_upload(api)
    poll(lambda: any(name.endswith(".part") for name in _parts(api)), 30, "the upload's part")
    sock.close()

    poll(lambda: _uploads_by_status(api).get("499") == 1, 30, "the dropped upload counted")
    poll(lambda: _parts(api) == [], 30, "the dropped upload's part removed")
    assert not any(status.startswith("5") for status in _uploads_by_status(api))
    said = [r.getMessage() for r in server_log if "closed the connection" in r.getMessage()]
    assert len(said) == 1, said
    assert not [r for r in server_log if r.exc_info or r.levelno >= logging.ERROR]


def test_a_stalled_upload_is_dropped_after_the_read_timeout(impatient_api: LiveServer) -> None:
    with closing(_start_upload(impatient_api)) as sock:
        poll(
            lambda: any(name.endswith(".part") for name in _parts(impatient_api)),
            30,
            "the upload's part",
        )
        # The body stops here: the server must answer without waiting for the rest.
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            assert chunk, f"the server closed without an answer: {answer!r}"
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 408"), answer
    assert b"request_timeout" in answer or b"content-length" in answer.lower()
    poll(lambda: _parts(impatient_api) == [], 30, "the stalled upload's part removed")
    assert _uploads_by_status(impatient_api) == {"408": 1.0}


def test_an_upload_that_completes_slowly_is_not_dropped(impatient_api: LiveServer) -> None:
    """Each read waits at most the timeout; a body that keeps coming is read whole."""
    with httpx.Client(base_url=impatient_api.url, timeout=30) as client:
        response = client.post(
            "/v1/videos",
            content=iter(
                [f"--{BOUNDARY}\r\n".encode()] + [b"x"] * 3 + [f"\r\n--{BOUNDARY}--\r\n".encode()]
            ),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
    # No `file` part: refused for what it says, not for how long it took.
    assert response.status_code in (400, 422), response.text
