"""One WebSocket protocol for whatever is followed live: a session's analysis, a live stream.

A client gets the current ``state`` first, then what is new as it lands (``frames``, and what
else the source has), the live progress whenever it changes, and one ``final`` message with the
status and the document (``null`` when it was deleted meanwhile); the server closes the socket
after it. A refused connection gets ``{"type": "error", "error"}`` and close code 4000 + the
HTTP status. The key may come as ``?api_key=`` (browsers cannot set WebSocket headers) or as a
header. Keepalive is the server's (uvicorn pings each socket every 20 s), so no message is spent on
it. What differs between sources (how the document is read, what is new since the last poll,
when it has ended) is a :class:`LiveSource`.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from typing_extensions import TypeVar

from videolens.api.deps import Services, authenticate, websocket_key
from videolens.api.errors import ApiError, error_body

POLL_S = 0.5

Message = dict[str, Any]

Document = TypeVar("Document", default=dict[str, Any])
"""What a source reads: its stored document (a model, or JSON for sources not yet typed)."""


class LiveSource(ABC, Generic[Document]):
    """What one followed thing tells the loop; built per connection, once the caller is known,
    so it may remember what it has sent. ``Document`` is the type ``read`` returns."""

    KEY: ClassVar[str]
    """The name of the document in ``state`` and ``final`` messages (``session``, ``stream``)."""
    PROGRESS_TYPE: ClassVar[str]
    """The type of the progress message (sessions send ``progress``, streams ``status``)."""

    def __init__(self, found: Services, owner: str, source_id: str) -> None:
        self.found, self.owner, self.source_id = found, owner, source_id

    @abstractmethod
    def read(self) -> Document:
        """The stored document (blocking: the loop runs it in a thread). Raises ``ApiError``
        (404) when it does not exist, or is not the caller's to see."""

    @abstractmethod
    def running(self, document: Document) -> bool:
        """Whether more may come: the loop polls while this holds."""

    @abstractmethod
    async def state(self, document: Document) -> tuple[Message, Message | None]:
        """The ``state`` message's fields, and the progress they already carry (or None)."""

    @abstractmethod
    async def updates(self, document: Document) -> list[Message]:
        """Messages for what is new since the state or the last call (frames, events…)."""

    @abstractmethod
    async def progress(self, document: Document) -> Message | None:
        """The live progress, or None when there is none (ended, or no worker answers)."""

    @abstractmethod
    def public(self, document: Document) -> Message:
        """The document as clients see it in the ``final`` message."""

    def status(self, document: Document) -> object:
        """The status the ``final`` message carries; JSON documents' ``status`` by default."""
        return document.get("status") if isinstance(document, dict) else None


def live_router(
    prefix: str, path: str, source_type: type[LiveSource[Document]], tag: str
) -> APIRouter:
    """A router with the one WebSocket route ``prefix + path`` (which names ``{source_id}``):
    it follows that id through ``source_type``."""
    router = APIRouter(prefix=prefix, tags=[tag])

    async def follow_source(websocket: WebSocket, source_id: str) -> None:
        await follow(websocket, source_type, source_id)

    router.add_api_websocket_route(path, follow_source, name=f"follow_{source_type.KEY}")
    return router


async def follow(
    websocket: WebSocket, source_type: type[LiveSource[Document]], source_id: str
) -> None:
    """Run the protocol on ``websocket`` for ``source_id``, read through ``source_type``."""
    found: Services = websocket.app.state.services
    # Accepted before checking, so that browsers (which never see a refused handshake's status)
    # get the reason: an ``error`` message, then a close code of 4000 + the HTTP status.
    await websocket.accept()
    try:
        source = source_type(found, authenticate(found, websocket_key(websocket)), source_id)
        document = await anyio.to_thread.run_sync(source.read)
    except ApiError as err:
        await websocket.send_json({"type": "error", **error_body(err.code, err.message)})
        await websocket.close(code=4000 + err.status, reason=err.message[:120])
        return
    with contextlib.suppress(WebSocketDisconnect):
        await _run(websocket, source, document)


async def _run(websocket: WebSocket, source: LiveSource[Document], document: Document) -> None:
    fields, last_progress = await source.state(document)
    await websocket.send_json({"type": "state", **fields})
    while source.running(document):
        await asyncio.sleep(POLL_S)
        try:
            document = await anyio.to_thread.run_sync(source.read)
        except ApiError:  # deleted meanwhile
            await websocket.send_json({"type": "final", "status": "deleted", source.KEY: None})
            await websocket.close()
            return
        await _send(websocket, await source.updates(document))
        progress = await source.progress(document)
        if progress is not None and progress != last_progress:
            last_progress = progress
            await websocket.send_json({"type": source.PROGRESS_TYPE, "progress": progress})
    # What landed between the last poll and the end comes before ``final``.
    await _send(websocket, await source.updates(document))
    final = {
        "type": "final",
        "status": source.status(document),
        source.KEY: source.public(document),
    }
    await websocket.send_json(final)
    await websocket.close()


async def _send(websocket: WebSocket, messages: list[Message]) -> None:
    for message in messages:
        await websocket.send_json(message)
