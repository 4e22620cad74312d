"""The outbound check at connect time: a source or webhook host inside the network is refused
right before connecting (DNS may have changed since the URL was submitted), with nothing sent."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from local_http import local_http_server
from videolens.streams.outbound import OutboundPolicy, PrivateDestinationError, outbound_policy
from videolens.streams.source import LiveConnection, SourceLimits, SourceUrl, check_url
from videolens.streams.webhook import WebhookRejectedError, deliver

REFUSING = OutboundPolicy()
LOOPBACK_ALLOWED = OutboundPolicy(allowed_networks=("127.0.0.0/8",))


@contextmanager
def _listener() -> Iterator[tuple[int, socket.socket]]:
    """A TCP port on 127.0.0.1 that records whether anything connected (accept never blocks)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        yield server.getsockname()[1], server


def _nobody_connected(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except BlockingIOError:
        return True
    return False


def test_a_source_is_checked_again_at_connect_time() -> None:
    with _listener() as (port, server):
        url = f"http://127.0.0.1:{port}/live.m3u8"
        # As if the name had resolved outside when submitted: the connection checks again.
        source = SourceUrl(url=url, scheme="http", display=url, outbound=REFUSING)
        with pytest.raises(PrivateDestinationError, match="a loopback address"):
            LiveConnection(source, SourceLimits(1.0, 1.0, 1.0))
        assert _nobody_connected(server)


def test_check_url_refuses_and_allows_by_the_policy() -> None:
    with pytest.raises(PrivateDestinationError) as refused:
        check_url("rtsp://169.254.169.254/cam", REFUSING)
    assert refused.value.field == "url" and "link-local" in str(refused.value)
    assert check_url("rtsp://127.0.0.1/cam", LOOPBACK_ALLOWED).outbound == LOOPBACK_ALLOWED
    assert check_url("rtsp://127.0.0.1/cam").outbound is None  # the local CLI: no check


class _Receiver(BaseHTTPRequestHandler):
    received: list[bytes]

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test's stderr."""


@contextmanager
def _receiver() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []
    with local_http_server(type("R", (_Receiver,), {"received": received})) as base_url:
        yield f"{base_url}/hook", received


def test_a_webhook_is_checked_at_delivery() -> None:
    with _receiver() as (url, received):
        with pytest.raises(WebhookRejectedError, match="a loopback address"):
            deliver(url, {"event_id": "e1"}, None, outbound=REFUSING)
        assert received == []
        assert deliver(url, {"event_id": "e2"}, None, outbound=LOOPBACK_ALLOWED) == 204
        assert received == [b'{"event_id":"e2"}']


def test_the_policy_travels_in_the_stream_record() -> None:
    recorded = {"outbound": LOOPBACK_ALLOWED.as_json()}
    assert outbound_policy(recorded) == LOOPBACK_ALLOWED
    assert outbound_policy({"outbound": None}) is None
    assert outbound_policy({}) is None  # streams made before the check, or by the CLI
