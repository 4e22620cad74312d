"""FFmpeg reaches an HTTP(S) source through the outbound proxy: every connection it makes —
the URL given, where that redirects, each HLS segment's host — is checked on the address it
connects to. 127.0.0.1 stands for an allowed camera, 127.0.0.2 (loopback too, not allowed)
for the inside of the network."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from local_http import local_http_server
from videolens.streams.outbound import OutboundPolicy, PrivateDestinationError
from videolens.streams.outbound_proxy import OutboundProxy
from videolens.streams.source import LiveConnection, SourceLimits, check_url

CAMERA_ONLY = OutboundPolicy(allowed_networks=("127.0.0.1/32",))
INSIDE = "127.0.0.2"
LIMITS = SourceLimits(connect_timeout_s=10.0, read_timeout_s=10.0, reconnect_max_s=1.0)

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


@pytest.fixture(scope="module")
def hls_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 1 s HLS segments of a test pattern, and their playlist."""
    folder = tmp_path_factory.mktemp("hls")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10",
         "-t", "3", "-c:v", "libx264", "-g", "10", "-f", "hls", "-hls_time", "1",
         "-hls_list_size", "0", str(folder / "live.m3u8")],
        check=True,
    )  # fmt: skip
    return folder


class _Files(SimpleHTTPRequestHandler):
    """Serves the folder; ``/moved.m3u8`` redirects to the inside address."""

    inside_port = 0

    def do_GET(self) -> None:
        if self.path == "/moved.m3u8":
            self.send_response(302)
            self.send_header("Location", f"http://{INSIDE}:{self.inside_port}/live.m3u8")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test's stderr."""


@pytest.fixture
def inside_server() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on the inside address that records what reached it."""
    received: list[bytes] = []
    with socket.create_server((INSIDE, 0)) as server:
        server.settimeout(0.2)
        yield server.getsockname()[1], received
        try:
            connection, _ = server.accept()
            received.append(connection.recv(4096))
            connection.close()
        except TimeoutError:
            pass


def _connection(url: str) -> LiveConnection:
    return LiveConnection(check_url(url, CAMERA_ONLY), LIMITS)


def test_an_allowed_hls_source_plays_through_the_proxy(hls_folder: Path) -> None:
    with local_http_server(partial(_Files, directory=str(hls_folder))) as base:
        connection = _connection(f"{base}/live.m3u8")
        try:
            assert connection.proxy is not None
            frames = [frame for _, frame in zip(range(25), connection.frames(), strict=False)]
        finally:
            connection.close()
    assert len(frames) == 25  # segments 0-2 all came through the proxy


def test_a_redirect_inside_the_network_is_refused(
    hls_folder: Path, inside_server: tuple[int, list[bytes]]
) -> None:
    port, received = inside_server
    handler = type("Redirecting", (_Files,), {"inside_port": port})
    with (
        local_http_server(partial(handler, directory=str(hls_folder))) as base,
        pytest.raises(PrivateDestinationError, match=f"{INSIDE}, a loopback address"),
    ):
        _connection(f"{base}/moved.m3u8")
    assert received == []  # nothing was sent inside


def test_segments_on_an_inside_host_are_refused(
    tmp_path: Path, hls_folder: Path, inside_server: tuple[int, list[bytes]]
) -> None:
    port, received = inside_server
    playlist = (hls_folder / "live.m3u8").read_text()
    (tmp_path / "live.m3u8").write_text(
        playlist.replace("live", f"http://{INSIDE}:{port}/live")
    )
    with (
        local_http_server(partial(_Files, directory=str(tmp_path))) as base,
        pytest.raises(PrivateDestinationError, match=INSIDE),
    ):
        connection = _connection(f"{base}/live.m3u8")
        try:
            list(connection.frames())
        finally:
            connection.close()
    assert received == []


def test_connect_tunnels_checked_destinations_only() -> None:
    with socket.create_server(("127.0.0.1", 0)) as allowed, OutboundProxy(CAMERA_ONLY) as proxy:
        port = proxy.url.rsplit(":", 1)[1]
        with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as client:
            client.sendall(f"CONNECT {INSIDE}:443 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert client.recv(100).startswith(b"HTTP/1.1 403")
        assert proxy.refusal is not None and INSIDE in proxy.refusal
        with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as client:
            target = f"127.0.0.1:{allowed.getsockname()[1]}"
            client.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: x\r\n\r\nhello".encode())
            assert client.recv(100) == b"HTTP/1.1 200 Connection established\r\n\r\n"
            upstream, _ = allowed.accept()
            with upstream:
                assert upstream.recv(100) == b"hello"  # the tunnel carries bytes, not the head
                upstream.sendall(b"world")
                assert client.recv(100) == b"world"


def test_a_local_source_or_an_open_policy_needs_no_proxy(hls_folder: Path) -> None:
    with local_http_server(partial(_Files, directory=str(hls_folder))) as base:
        for source in (check_url(f"{base}/live.m3u8"), check_url(f"{base}/live.m3u8",
                       OutboundPolicy(allow_private=True))):  # fmt: skip
            connection = LiveConnection(source, LIMITS)
            try:
                assert connection.proxy is None
            finally:
                connection.close()
