"""API keys: sessions invisible across keys, local mode only on loopback, per-key rate limits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from api_helpers import upload
from websockets.exceptions import ConnectionClosed

from live_server import LiveServer, serving
from videolens.api import create_app
from videolens.api.security import KeyStore
from videolens.config import Settings
from videolens.errors import ConfigurationError
from videolens.video.synthetic import ClipSpec


def test_each_key_sees_only_its_own_sessions(settings: Settings, text_clip: ClipSpec) -> None:
    keys = KeyStore(settings.data_dir / "keys.json")
    alice_record, alice = keys.create("alice")
    _, bob = keys.create("bob")
    stored = (settings.data_dir / "keys.json").read_text()
    assert alice not in stored and alice.split("_", 2)[2] not in stored

    with serving(settings) as api, api.client(alice) as a, api.client(bob) as b:
        session_id = upload(a, text_clip.path).json()["session_id"]
        url = f"/v1/sessions/{session_id}"
        assert a.get(url).status_code == 200
        for path in (url, f"{url}/frames", f"{url}/video", f"{url}/frames/0/image"):
            response = b.get(path)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "not_found"
        assert b.post(f"{url}/cancel").status_code == 404
        assert b.delete(url).status_code == 404
        assert b.get("/v1/sessions").json()["sessions"] == []
        assert [s["session_id"] for s in a.get("/v1/sessions").json()["sessions"]] == [session_id]

        with api.client() as anonymous:
            missing = anonymous.get("/v1/sessions")
            assert missing.status_code == 401
            assert missing.json()["error"]["code"] == "unauthorized"
            assert anonymous.get(url, headers={"X-API-Key": alice}).status_code == 200
            assert anonymous.get(url, headers={"X-API-Key": alice + "x"}).status_code == 401
            assert anonymous.get("/healthz").status_code == 200

        async def first_event(key: str) -> dict[str, object] | int:
            events = f"{api.ws_url}{url}/events?api_key={key}"
            try:
                async with websockets.connect(events) as socket:
                    message: dict[str, object] = json.loads(await socket.recv())
                    if message["type"] == "error":
                        await socket.recv()
                    return message
            except ConnectionClosed as closed:
                assert closed.rcvd is not None
                return closed.rcvd.code

        assert asyncio.run(first_event(bob)) == 4404
        assert asyncio.run(first_event("vl_nope_nope")) == 4401
        state = asyncio.run(first_event(alice))
        assert isinstance(state, dict) and state["type"] == "state"

        assert keys.revoke(alice_record.key_id)
        assert a.get(url).status_code == 401


def _completed_session(api: LiveServer, key: str, clip: ClipSpec) -> tuple[str, list[Any]]:
    """A completed session of ``key``'s and its frames; waits on the event stream (no polling)."""
    with api.client(key) as client:
        session_id = upload(client, clip.path).json()["session_id"]

        async def final_status() -> str:
            url = f"{api.ws_url}/v1/sessions/{session_id}/events?api_key={key}"
            async with websockets.connect(url) as socket:
                async for message in socket:
                    event = json.loads(message)
                    if event["type"] == "final":
                        return str(event["status"])
            raise AssertionError("the event stream ended without a final event")

        assert asyncio.run(final_status()) == "completed"
        frames = client.get(f"/v1/sessions/{session_id}/frames").json()["frames"]
    assert frames
    return session_id, frames


def test_media_accept_the_key_as_a_query_parameter(settings: Settings, text_clip: ClipSpec) -> None:
    keys = KeyStore(settings.data_dir / "keys.json")
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    with serving(settings) as api, api.client() as anonymous:
        session_id, frames = _completed_session(api, alice, text_clip)
        image, video = frames[0]["image_url"], f"/v1/sessions/{session_id}/video"

        loaded = anonymous.get(image, params={"api_key": alice})
        assert loaded.status_code == 200 and loaded.content[:2] == b"\xff\xd8"
        ranged = anonymous.get(video, params={"api_key": alice}, headers={"Range": "bytes=0-9"})
        assert ranged.status_code == 206 and len(ranged.content) == 10
        for url in (image, video):
            assert anonymous.get(url).status_code == 401, url
            assert anonymous.get(url, params={"api_key": alice + "x"}).status_code == 401, url
            other = anonymous.get(url, params={"api_key": bob})
            assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
        # Only media take the key from the URL: API calls still need a header.
        session = f"/v1/sessions/{session_id}"
        assert anonymous.get(session, params={"api_key": alice}).status_code == 401
        assert anonymous.get(f"{session}/frames", params={"api_key": alice}).status_code == 401


def test_media_have_their_own_larger_allowance(settings: Settings, text_clip: ClipSpec) -> None:
    _, alice = KeyStore(settings.data_dir / "keys.json").create("alice")
    # 12 API calls a minute; media get 20 times that, in a bucket of their own.
    limited = settings.model_copy(update={"rate_limit_per_minute": 12})
    with serving(limited) as api, api.client(alice) as client:
        _, frames = _completed_session(api, alice, text_clip)
        urls = [frames[i % len(frames)]["image_url"] for i in range(200)]
        statuses = [client.get(url).status_code for url in urls]
        assert statuses == [200] * 200
        api_calls = [client.get("/v1/sessions").status_code for _ in range(15)]
        assert 429 in api_calls, "API calls are no longer limited"
        assert api_calls[0] == 200, "thumbnails used up the API calls' allowance"


def test_rate_limit_answers_429_with_retry_after(settings: Settings) -> None:
    keys = KeyStore(settings.data_dir / "keys.json")
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    limited_settings = settings.model_copy(update={"rate_limit_per_minute": 3})
    with serving(limited_settings) as api, api.client(alice) as a, api.client(bob) as b:
        assert [a.get("/v1/sessions").status_code for _ in range(3)] == [200] * 3
        limited = a.get("/v1/sessions")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 20
        # Another key has its own bucket; health checks are never limited.
        assert b.get("/v1/sessions").status_code == 200
        assert a.get("/healthz").status_code == 200


def test_local_mode_without_keys_only_on_loopback(settings: Settings) -> None:
    create_app(settings.model_copy(update={"api_host": "127.0.0.1"}))
    with pytest.raises(ConfigurationError, match="keys create"):
        create_app(settings.model_copy(update={"api_host": "0.0.0.0"}))
    with pytest.raises(ConfigurationError, match="production"):
        create_app(settings.model_copy(update={"environment": "production"}))
    KeyStore(settings.data_dir / "keys.json").create("ops")
    create_app(settings.model_copy(update={"api_host": "0.0.0.0", "environment": "production"}))


def test_keys_exist_then_requests_need_one(settings: Settings) -> None:
    with serving(settings) as api, api.client() as client:
        assert client.get("/v1/sessions").status_code == 200  # local single-user mode
        KeyStore(settings.data_dir / "keys.json").create("first")
        assert client.get("/v1/sessions").status_code == 401
