"""The live-events loop on its own: a source whose stored document changes between polls, over a
real WebSocket of a real app (sessions and streams run it end to end in their own tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from temporalio.client import Client

from videolens.api import live_events
from videolens.api.deps import Services
from videolens.api.errors import ApiError
from videolens.api.live_events import LiveSource, Message, follow
from videolens.api.ratelimit import RateLimiter
from videolens.api.security import KeyStore
from videolens.chat.retrieval import Retriever
from videolens.config import Settings
from videolens.store import SessionStore

# What each read of the document returns, in order; ``None`` reads as deleted.
SCRIPT: list[dict[str, Any] | None] = []


class ScriptedSource(LiveSource):
    """Items of the document are new once their number was not sent; progress is its ``step``."""

    KEY = "thing"
    PROGRESS_TYPE = "progress"

    def __init__(self, found: Services, owner: str, source_id: str) -> None:
        super().__init__(found, owner, source_id)
        self.sent: set[int] = set()

    def read(self) -> dict[str, Any]:
        document = SCRIPT.pop(0) if SCRIPT else None
        if document is None:
            raise ApiError(404, "not_found", "no such thing")
        return document

    def running(self, document: dict[str, Any]) -> bool:
        return bool(document["status"] == "running")

    async def state(self, document: dict[str, Any]) -> tuple[Message, Message | None]:
        self.sent = set(document["items"])
        return {"thing": {"id": self.source_id, "items": document["items"]}}, None

    async def updates(self, document: dict[str, Any]) -> list[Message]:
        new = [item for item in document["items"] if item not in self.sent]
        self.sent.update(new)
        return [{"type": "frames", "frames": new}] if new else []

    async def progress(self, document: dict[str, Any]) -> Message | None:
        return {"step": document["step"]} if document["status"] == "running" else None

    def public(self, document: dict[str, Any]) -> Message:
        return {"id": self.source_id, "status": document["status"]}


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(live_events, "POLL_S", 0.001)
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    app = FastAPI()
    app.state.services = Services(
        settings=settings,
        store=SessionStore(tmp_path / "sessions"),
        keys=KeyStore(tmp_path / "keys.json"),
        limiter=RateLimiter(1000),
        media_limiter=RateLimiter(1000),
        client=cast(Client, None),  # the scripted source asks no workflow
        local_mode=True,
        retriever=Retriever(),
    )

    @app.websocket("/things/{thing_id}/events")
    async def thing_events(websocket: WebSocket, thing_id: str) -> None:
        await follow(websocket, ScriptedSource, thing_id)

    return TestClient(app)


def _messages(client: TestClient) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    with client.websocket_connect("/things/t1/events") as socket:
        while not messages or messages[-1]["type"] != "final":
            messages.append(socket.receive_json())
        with pytest.raises(WebSocketDisconnect):
            socket.receive_json()  # the server closes after ``final``
    return messages


def _doc(status: str, items: list[int], step: int = 0) -> dict[str, Any]:
    return {"status": status, "items": items, "step": step}


def test_state_then_only_what_is_new_then_final(client: TestClient) -> None:
    SCRIPT[:] = [
        _doc("running", [1]),
        _doc("running", [1, 2], step=1),
        _doc("running", [1, 2], step=1),  # nothing new, the same progress: nothing sent
        _doc("done", [1, 2, 3]),  # what landed before the end comes before ``final``
    ]
    assert _messages(client) == [
        {"type": "state", "thing": {"id": "t1", "items": [1]}},
        {"type": "frames", "frames": [2]},
        {"type": "progress", "progress": {"step": 1}},
        {"type": "frames", "frames": [3]},
        {"type": "final", "status": "done", "thing": {"id": "t1", "status": "done"}},
    ]


def test_a_source_deleted_while_followed_ends_with_a_final_of_none(client: TestClient) -> None:
    SCRIPT[:] = [_doc("running", []), None]
    assert _messages(client) == [
        {"type": "state", "thing": {"id": "t1", "items": []}},
        {"type": "final", "status": "deleted", "thing": None},
    ]


def test_a_refused_connection_gets_the_reason_and_4000_plus_the_status(
    client: TestClient,
) -> None:
    SCRIPT[:] = []
    with client.websocket_connect("/things/t1/events") as socket:
        error = socket.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert error == {"type": "error", "error": {"code": "not_found", "message": "no such thing"}}
    assert closed.value.code == 4404
