"""Creating, starting, following and stopping live streams (used by the API and the CLI)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError

from videolens.backends.routing import resolve_backend_name
from videolens.config import Settings
from videolens.pipeline.client import sampling_options, wait_or_terminate
from videolens.pipeline.stream_shared import (
    RUNNING_STATES,
    STREAM_WORKFLOW_NAME,
    StreamConfig,
    StreamProgress,
    StreamState,
    StreamSummary,
)
from videolens.streams.errors import InvalidRuleError
from videolens.streams.outbound import OutboundPolicy
from videolens.streams.rules import parse_rules
from videolens.streams.source import check_url
from videolens.streams.store import StreamStore
from videolens.streams.webhook import check_webhook_url
from videolens.timeline.model import StreamDocument

STOP_DEADLINE_S = 60.0


@dataclass
class StreamRequest:
    """What a user asks for; ``retention_s`` unset: the configured retention."""

    url: str
    name: str = ""
    rules: list[str] = field(default_factory=list)
    retention_s: float | None = None
    record: bool = False
    webhook_url: str | None = None
    webhook_secret: str | None = None
    owner: str | None = None
    # URLs from API users: where they may connect (checked now and before each connection).
    outbound: OutboundPolicy | None = None


def stream_workflow_id(stream_id: str) -> str:
    return f"videolens-stream-{stream_id}"


def create_stream(
    settings: Settings, request: StreamRequest
) -> tuple[StreamDocument, StreamConfig]:
    """Check ``request`` and create the stream in the store; returns its document and
    config.

    Raises ``UnknownSchemeError`` (URL), ``InvalidRuleError`` (rules) or ``ValueError``
    (webhook URL) before anything is written.
    """
    source = check_url(request.url, request.outbound)
    rules = [rule.spec for rule in parse_rules(request.rules)]
    if request.webhook_url:
        check_webhook_url(request.webhook_url, request.outbound)
    elif request.webhook_secret:
        raise InvalidRuleError("webhook_secret needs a webhook_url")
    retention_s = request.retention_s or settings.stream_retention_hours * 3600
    store = StreamStore(settings.streams_dir)
    stream_id = store.new_id()
    backend = settings.backend
    options = sampling_options(settings)
    config = StreamConfig(
        stream_id=stream_id,
        options=options,
        window_s=settings.stream_window_s,
        backend=backend,
        prompt=settings.vision_prompt or "",
        rules=rules,
        retention_s=retention_s,
        record=request.record,
        record_segment_s=settings.stream_record_segment_s,
        webhook=bool(request.webhook_url),
        cpu_task_queue=settings.cpu_task_queue,
        vision_task_queue=settings.vision_task_queue,
        heartbeat_timeout_s=settings.heartbeat_timeout_s,
        connect_timeout_s=settings.stream_connect_timeout_s,
        read_timeout_s=settings.stream_read_timeout_s,
        reconnect_max_s=settings.stream_reconnect_max_s,
        windows_per_run=settings.stream_windows_per_run,
        tracking_fps=settings.tracking_fps if settings.tracking else 0.0,
    )
    document = {
        "name": request.name or source.display,
        "url": source.display,
        "owner": request.owner,
        "options": {
            "rules": rules,
            "retention_s": retention_s,
            "record": request.record,
            "window_s": config.window_s,
            "backend": backend if backend != "auto" else resolve_backend_name(settings),
            "floor_interval_s": options.floor_interval_s,
        },
        "webhook": {"url": _shown(request.webhook_url), "signed": bool(request.webhook_secret)}
        if request.webhook_url
        else None,
    }
    private = {
        "url": request.url,
        "webhook_url": request.webhook_url,
        "webhook_secret": request.webhook_secret,
        "outbound": request.outbound.as_json() if request.outbound else None,
    }
    return store.create(document, private, stream_id=stream_id), config


def _shown(url: str) -> str:
    """A webhook URL without its query (which may hold a token)."""
    return url.split("?", 1)[0]


async def start_stream(client: Client, config: StreamConfig) -> WorkflowHandle[Any, StreamSummary]:
    # The workflow runs on the CPU queue and routes each activity to its own queue.
    return await client.start_workflow(
        STREAM_WORKFLOW_NAME,
        StreamState(config=config),
        id=stream_workflow_id(config.stream_id),
        task_queue=config.cpu_task_queue,
        result_type=StreamSummary,
    )


async def stream_progress(client: Client, stream_id: str) -> StreamProgress | None:
    """The running workflow's progress, or None when it has ended or no worker answers."""
    handle = client.get_workflow_handle(stream_workflow_id(stream_id))
    try:
        progress: StreamProgress = await asyncio.wait_for(
            handle.query("progress", result_type=StreamProgress), 3.0
        )
    except (RPCError, asyncio.TimeoutError):
        return None
    return progress


async def settle(client: Client, store: StreamStore, document: StreamDocument) -> StreamDocument:
    """The document with its true status when its workflow ended without saying so (it was
    terminated, or timed out): ``failed``, with the reason. A running one is left as it is."""
    if document.status not in RUNNING_STATES:
        return document
    handle = client.get_workflow_handle(stream_workflow_id(document.stream_id))
    try:
        status = (await handle.describe()).status
    except RPCError:
        return document  # no such workflow yet, or Temporal is away: nothing to conclude
    if status is None or status == WorkflowExecutionStatus.RUNNING:
        return document
    reason = f"its workflow ended ({status.name.lower().replace('_', ' ')}) without stopping it"
    return await asyncio.to_thread(store.update, document.stream_id, status="failed", error=reason)


async def request_stop(client: Client, stream_id: str) -> bool:
    """Signal the stream to stop after its current window; False when it is not running."""
    try:
        await client.get_workflow_handle(stream_workflow_id(stream_id)).signal("stop")
    except RPCError:
        return False
    return True


async def stop_and_wait(
    client: Client, stream_id: str, deadline_s: float = STOP_DEADLINE_S
) -> None:
    """Stop the stream and wait until its workflow has ended; terminate it past the deadline."""
    if not await request_stop(client, stream_id):
        return
    handle = client.get_workflow_handle(stream_workflow_id(stream_id))
    await wait_or_terminate(handle, deadline_s, "did not stop in time")
