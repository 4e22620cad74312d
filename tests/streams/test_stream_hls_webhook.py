"""HLS from a local HTTP server, and events POSTed to a real webhook receiver that fails the
first delivery: Temporal retries it, and every body carries a valid HMAC-SHA256 signature."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from stream_helpers import frames_with_word, wait_for, watched_stream
from stream_media import WORD, hls_sender, udp_sender, word_shown_at

from local_http import local_http_server
from videolens.config import Settings
from videolens.pipeline.stream_client import StreamRequest
from videolens.streams.store import StreamStore
from videolens.streams.webhook import EVENT_HEADER, SIGNATURE_HEADER, verify
from videolens.timeline.model import Moment
from videolens.video.synthetic import ClipSpec

SECRET = "a-shared-secret"


@pytest.mark.timeout(120)
def test_an_hls_stream_is_described_live(
    stream_settings: Settings, store: StreamStore, clip: ClipSpec, tmp_path: Path
) -> None:
    async def scenario() -> tuple[str, Moment, float, float]:
        with hls_sender(clip, tmp_path / "hls") as (sender, url):
            async with watched_stream(
                stream_settings, StreamRequest(url=url, rules=[f"word:{WORD}"])
            ) as stream:
                stream_id = stream.stream_id
                found = await wait_for(
                    lambda: frames_with_word(store, stream_id, WORD), 60, "the word described"
                )
                seen_at = time.time()
                await wait_for(lambda: store.stream_events(stream_id), 10, "the word's event")
                await stream.stop()
        return stream_id, found[0], word_shown_at(sender.started_at, found[0].at), seen_at

    stream_id, frame, shown, seen_at = asyncio.run(scenario())
    # HLS is behind by design: a 1 s segment is published once written, then fetched.
    print(f"HLS: word shown → described {seen_at - shown:.2f} s")
    assert seen_at - shown < 8.0
    assert store.stream_events(stream_id)[0].seq == frame.seq
    assert store.document(stream_id).status == "stopped"


class _Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint: answers 500 to the first POST, 200 after; keeps what it got."""

    received: list[tuple[bytes, dict[str, str], int]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = 500 if not self.received else 200
        self.received.append((body, dict(self.headers), status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test's stderr."""


@contextmanager
def _receiver() -> Iterator[tuple[str, list[tuple[bytes, dict[str, str], int]]]]:
    received: list[tuple[bytes, dict[str, str], int]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    with local_http_server(handler) as base_url:
        yield f"{base_url}/hook?token=t0k3n", received


@pytest.mark.timeout(120)
def test_events_are_posted_signed_and_retried(
    stream_settings: Settings, store: StreamStore, clip: ClipSpec
) -> None:
    async def scenario() -> tuple[str, str, list[tuple[bytes, dict[str, str], int]]]:
        with udp_sender(clip) as (_, url), _receiver() as (hook, received):
            request = StreamRequest(
                url=url, rules=[f"word:{WORD}"], webhook_url=hook, webhook_secret=SECRET
            )
            async with watched_stream(stream_settings, request) as stream:
                stream_id = stream.stream_id
                delivered = await wait_for(
                    lambda: [
                        e
                        for e in store.stream_events(stream_id)
                        if e.webhook is not None and e.webhook.status == "delivered"
                    ],
                    60,
                    "a delivered event",
                )
                assert delivered
                await stream.stop()
        return stream_id, hook, received

    stream_id, hook, received = asyncio.run(scenario())
    (first, _, first_status), (second, second_headers, second_status) = received[:2]
    assert (first_status, second_status) == (500, 200)
    assert first == second  # the retry delivered the same event
    event = json.loads(second)
    assert event["rule"] == "word:exit" and event["stream_id"] == stream_id
    assert event["image_url"].startswith(f"/v1/streams/{stream_id}/frames/")
    assert "image" not in event  # no server path leaves
    assert second_headers[EVENT_HEADER] == event["event_id"]
    assert verify(SECRET, second, second_headers[SIGNATURE_HEADER])
    assert not verify("another-secret", second, second_headers[SIGNATURE_HEADER])
    assert not verify(SECRET, second + b" ", second_headers[SIGNATURE_HEADER])
    delivery = store.stream_events(stream_id)[0].webhook
    assert delivery is not None and delivery.status == "delivered" and delivery.attempts == 2
    document = store.document(stream_id)
    assert document.webhook is not None and document.webhook.as_json() == {
        "url": hook.split("?")[0],
        "signed": True,
    }
    assert SECRET not in (shown := json.dumps(document.as_json())) and "t0k3n" not in shown
