"""Bad sources get one clear error: an unknown scheme, a URL that never answers (a silent UDP
port, a closed TCP port, HTTP 404), and credentials refused (HTTP 401) — read with real PyAV."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from stream_media import http_server

from videolens.pipeline.temporal_server import free_port
from videolens.streams.errors import (
    CredentialsRefusedError,
    SourceError,
    SourceUnreachableError,
    UnknownSchemeError,
)
from videolens.streams.reader import StreamReader
from videolens.streams.source import Backoff, SourceLimits, check_url, redact
from videolens.video.types import SamplingOptions

LIMITS = SourceLimits(connect_timeout_s=1.5, read_timeout_s=1.0, reconnect_max_s=0.5)


def _first_window(url: str, folder: Path) -> SourceError:
    """The error reading ``url`` raises, and check it came within the connect timeout (+ slack)."""
    reader = StreamReader(check_url(url), LIMITS, SamplingOptions(), folder / "frames")
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        reader.read_window(30.0, 0, None, lambda _: None)
    assert time.monotonic() - started < LIMITS.connect_timeout_s + LIMITS.read_timeout_s + 2
    reader.close()
    return caught.value


@pytest.mark.parametrize(
    "url",
    ["ftp://camera.local/stream", "file:///etc/passwd", "camera.local:554/live", "mailto:x@y.z"],
)
def test_an_unknown_scheme_is_refused_with_the_accepted_ones(url: str) -> None:
    with pytest.raises(UnknownSchemeError, match=r"rtsp://.*udp://.*device"):
        check_url(url)


def test_a_url_without_a_host_and_an_empty_device_are_refused() -> None:
    with pytest.raises(UnknownSchemeError, match="names no host"):
        check_url("rtsp:///live")
    with pytest.raises(UnknownSchemeError, match="device name"):
        check_url("device:")


def test_accepted_sources_and_credentials_never_shown() -> None:
    source = check_url("rtsp://admin:hunter2@cam.local:554/live?token=abc")
    assert source.scheme == "rtsp" and source.url.endswith("token=abc")
    assert "hunter2" not in source.display and "abc" not in source.display
    assert source.display == "rtsp://admin:***@cam.local:554/live?***"
    assert redact("udp://127.0.0.1:5000") == "udp://127.0.0.1:5000"
    device = check_url("/dev/video0")
    assert device.is_device and device.url == "/dev/video0" and device.format
    assert check_url("device:/dev/video2").url == "/dev/video2"


def test_a_scheme_this_ffmpeg_build_lacks_is_named(tmp_path: Path) -> None:
    error = _first_window(f"srt://127.0.0.1:{free_port()}", tmp_path)
    # PyAV's wheels carry no libsrt; a build with it would try to connect and time out.
    assert isinstance(error, UnknownSchemeError | SourceUnreachableError)
    assert "srt" in str(error)


def test_a_silent_udp_port_never_answers(tmp_path: Path) -> None:
    error = _first_window(f"udp://127.0.0.1:{free_port()}", tmp_path)
    assert isinstance(error, SourceUnreachableError)
    assert "sent no video within" in str(error)


def test_a_closed_tcp_port_is_named(tmp_path: Path) -> None:
    error = _first_window(f"rtsp://127.0.0.1:{free_port()}/live", tmp_path)
    assert isinstance(error, SourceUnreachableError)
    assert "connection refused" in str(error)


def test_a_missing_hls_playlist_is_a_404(tmp_path: Path) -> None:
    with http_server(tmp_path) as base:
        error = _first_window(f"{base}/nothing.m3u8", tmp_path)
    assert isinstance(error, SourceUnreachableError)
    assert "404" in str(error)


def test_refused_credentials_fail_at_once(tmp_path: Path) -> None:
    with http_server(tmp_path, refuse=True) as base:
        url = base.replace("http://", "http://viewer:wrong@") + "/live.m3u8"
        started = time.monotonic()
        error = _first_window(url, tmp_path)
    assert isinstance(error, CredentialsRefusedError)
    assert "refused the credentials" in str(error) and "wrong" not in str(error)
    assert time.monotonic() - started < 1.0  # no retrying a password that is wrong


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(max_s=3.0)
    assert [backoff.delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.delay() == 0.5
