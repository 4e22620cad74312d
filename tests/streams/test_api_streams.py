"""The streams API through the real app: start a stream on a live UDP source, follow it on its
WebSocket, read its status, frames (in a time range), images and events, stop it, delete it;
and the errors a client can act on."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from stream_helpers import poll, serving
from stream_media import WORD, http_server, udp_sender
from temporalio.client import Client

from videolens.config import Settings
from videolens.pipeline.stream_client import stream_workflow_id
from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import ClipSpec


async def _collect(url: str, messages: list[dict[str, Any]]) -> None:
    async with websockets.connect(url) as socket:
        async for raw in socket:
            messages.append(json.loads(raw))
            if messages[-1]["type"] == "final":
                return


async def _until(check: Any, deadline_s: float, what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while loop.time() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")


@pytest.mark.timeout(120)
def test_a_stream_through_the_api(stream_settings: Settings, clip: ClipSpec) -> None:
    with udp_sender(clip) as (_, url), serving(stream_settings) as api:

        async def scenario() -> dict[str, Any]:
            async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
                body = {"url": url, "name": "door", "rules": [f"word:{WORD}", "shot"]}
                created = await http.post("/v1/streams", json={**body, "retention_hours": 1})
                assert created.status_code == 201, created.text
                stream_id = created.json()["stream_id"]
                assert created.headers["location"] == f"/v1/streams/{stream_id}"
                messages: list[dict[str, Any]] = []
                follower = asyncio.ensure_future(
                    _collect(f"{api.ws_url}/v1/streams/{stream_id}/ws", messages)
                )
                await _until(
                    lambda: any(m["type"] == "events" for m in messages), 60, "an event pushed"
                )
                shown = (await http.get(f"/v1/streams/{stream_id}")).json()
                image = await http.get(shown["latest"]["image_url"])
                since = datetime.fromtimestamp(shown["timeline"][1]["at"], timezone.utc)
                ranged = await http.get(
                    f"/v1/streams/{stream_id}/frames", params={"since": since.isoformat()}
                )
                events = (await http.get(f"/v1/streams/{stream_id}/events")).json()["events"]
                listed = (await http.get("/v1/streams")).json()["streams"]
                stopping = await http.post(f"/v1/streams/{stream_id}/stop")
                await asyncio.wait_for(follower, 40)
                after = (await http.get(f"/v1/streams/{stream_id}")).json()
                again = await http.post(f"/v1/streams/{stream_id}/stop")
                deleted = await http.delete(f"/v1/streams/{stream_id}")
                gone = await http.get(f"/v1/streams/{stream_id}")
            return locals()

        run = asyncio.run(scenario())
    stream_id, shown, messages = run["stream_id"], run["shown"], run["messages"]
    assert shown["name"] == "door" and shown["status"] == "live"
    assert shown["options"]["rules"] == ["word:exit", "shot"]
    assert shown["options"]["retention_s"] == 3600
    assert shown["timeline"] and all("image" not in f for f in shown["timeline"])
    assert run["image"].status_code == 200
    assert run["image"].headers["content-type"] == "image/jpeg"
    ranged = run["ranged"].json()["frames"]
    assert ranged and ranged[0]["seq"] == shown["timeline"][1]["seq"]
    word = [e for e in run["events"] if e["rule"] == "word:exit"]
    assert word and word[0]["image_url"].endswith(f"/frames/{word[0]['seq']}/image")
    assert [s["stream_id"] for s in run["listed"]] == [stream_id]
    # The WebSocket: the state first, then frames and events as they came, then the end.
    assert messages[0]["type"] == "state" and messages[-1]["type"] == "final"
    assert messages[-1]["status"] == "stopped"
    pushed = [f["seq"] for m in messages if m["type"] == "frames" for f in m["frames"]]
    assert pushed and pushed == sorted(set(pushed))
    assert any(
        e["rule"] == "word:exit" for m in messages if m["type"] == "events" for e in m["events"]
    )
    assert run["stopping"].status_code == 202
    assert run["after"]["status"] == "stopped"
    assert run["again"].status_code == 409 and run["again"].json()["error"]["code"] == "not_running"
    assert run["deleted"].status_code == 204 and run["gone"].status_code == 404
    assert not (stream_settings.streams_dir / stream_id).exists()


@pytest.mark.timeout(120)
def test_bad_requests_get_a_clear_error(stream_settings: Settings, tmp_path: Path) -> None:
    cases = [
        ({"url": "ftp://cam.local/live"}, "unknown_scheme", "url"),
        ({"url": "udp://127.0.0.1:5000", "rules": ["colour:red"]}, "invalid_rule", "rules"),
        (
            {"url": "udp://127.0.0.1:5000", "retention_hours": 1, "retention_s": 5},
            None,
            "retention_s",
        ),
        ({"url": "udp://127.0.0.1:5000", "webhook_url": "ftp://x"}, None, "webhook_url"),
        ({"url": "udp://127.0.0.1:5000", "colour": "red"}, "validation_error", "colour"),
    ]
    with (
        serving(stream_settings) as api,
        api.client() as http,
        http_server(tmp_path, refuse=True) as refusing,
    ):
        for body, code, field in cases:
            response = http.post("/v1/streams", json=body)
            assert response.status_code == 422, (body, response.text)
            error = response.json()["error"]
            assert error["field"] == field and (code is None or error["code"] == code)
        assert http.get("/v1/streams/zzzzzzzzzzzz").status_code == 404
        assert http.get("/v1/streams/..%2Fsessions").status_code == 404
        assert not stream_settings.streams_dir.exists() or not list(
            stream_settings.streams_dir.iterdir()
        )
        # A source that refuses the credentials: the stream starts, then fails with the reason.
        created = http.post("/v1/streams", json={"url": f"{refusing}/live.m3u8"})
        assert created.status_code == 201
        stream_id = created.json()["stream_id"]
        failed = poll(
            lambda: (s := http.get(f"/v1/streams/{stream_id}").json())["status"] == "failed" and s,
            60,
            "the stream to fail",
        )
    assert "refused the credentials" in failed["error"]


@pytest.mark.timeout(60)
def test_a_stream_whose_workflow_was_terminated_reads_as_failed(stream_settings: Settings) -> None:
    with serving(stream_settings) as api, api.client() as http:
        created = http.post("/v1/streams", json={"url": f"udp://127.0.0.1:{free_port()}"})
        stream_id = created.json()["stream_id"]

        async def terminate() -> None:
            assert stream_settings.temporal_address
            client = await Client.connect(stream_settings.temporal_address)
            await client.get_workflow_handle(stream_workflow_id(stream_id)).terminate("test")

        asyncio.run(terminate())
        # A view that cannot ask Temporal (a slow answer under load) shows the stored status
        # as it is; the next one that can says failed.
        shown = poll(
            lambda: (
                (view := http.get(f"/v1/streams/{stream_id}").json())["status"] == "failed" and view
            ),
            20,
            "the terminated stream read as failed",
        )
    assert shown["status"] == "failed"
    assert shown["error"] == "its workflow ended (terminated) without stopping it"
