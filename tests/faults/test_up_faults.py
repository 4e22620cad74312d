"""``videolens up`` under faults: SIGKILLed mid-analysis and mid-upload, a workflow terminated
behind its back. Sessions always end with a true status, and nothing is left behind."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from fault_helpers import (
    DataDir,
    alive,
    assert_frames_complete,
    kill_hard,
    poll,
    start_up,
    stop,
)
from temporalio.client import Client

from videolens.pipeline.client import workflow_id
from videolens.video.synthetic import ClipSpec


def _upload(data: DataDir, clip: Path) -> str:
    with clip.open("rb") as handle:
        response = httpx.post(
            f"{data.url}/v1/videos",
            files={"file": (clip.name, handle, "video/mp4")},
            timeout=60,
        )
    assert response.status_code == 202, response.text
    session_id: str = response.json()["session_id"]
    return session_id


def _session(data: DataDir, session_id: str) -> dict[str, Any]:
    response = httpx.get(f"{data.url}/v1/sessions/{session_id}", timeout=30)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _stored(data: DataDir, session_id: str) -> dict[str, Any]:
    from videolens.store import SessionStore

    return SessionStore(data.root / "sessions").get(session_id)


def _start_cut_upload(data: DataDir) -> socket.socket:
    """An upload that sends 2 MiB of a declared 10 MiB file, then stalls."""
    boundary = "faultboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", data.api_port), timeout=10)
    sock.sendall(
        (
            "POST /v1/videos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
        ).encode()
        + head
        + b"\0" * (2 * 1024 * 1024)
    )
    return sock


@pytest.mark.timeout(420)
def test_up_killed_mid_analysis_and_upload_resumes_and_cleans(
    data: DataDir, fault_clip: ClipSpec
) -> None:
    first = start_up(data)
    sock = None
    try:
        session_id = _upload(data, fault_clip.path)
        sock = _start_cut_upload(data)
        poll(lambda: data.described() >= 4 and data.parts(), 120, "frames and an upload part")
        server = data.server_pid()
        kill_hard(first)
        sock.close()
        leftover = data.parts()
        assert leftover, "the cut upload's part should outlive the killed server"
        assert server is not None and alive(server), "the embedded server is orphaned, alive"

        second = start_up(data)
        try:
            poll(
                lambda: _session(data, session_id)["status"] != "running",
                240,
                "the interrupted session to end",
            )
            poll(lambda: not data.parts(), 60, "the cut upload's part to be removed")
        finally:
            code, stderr = stop(second)
    finally:
        if sock is not None:
            sock.close()
        if first.poll() is None:
            kill_hard(first)
    document = _stored(data, session_id)
    assert document["status"] == "completed", document.get("error")
    assert_frames_complete(document, fault_clip)
    assert code == 0 and "Traceback" not in stderr, stderr
    # The orphaned server was adopted by the second `up` and stopped by it, its last user.
    assert not alive(server) and data.server_pid() is None
    assert not any(path.exists() for path in leftover)


async def _terminate(data: DataDir, session_id: str) -> None:
    client = await Client.connect(f"127.0.0.1:{data.temporal_port}")
    await client.get_workflow_handle(workflow_id(session_id)).terminate(reason="fault test")


@pytest.mark.timeout(300)
def test_terminated_workflow_fails_its_session_with_the_reason(
    data: DataDir, fault_clip: ClipSpec
) -> None:
    process = start_up(data)
    try:
        session_id = _upload(data, fault_clip.path)
        poll(lambda: data.described() >= 2, 120, "frames described")
        asyncio.run(_terminate(data, session_id))
        document = _session(data, session_id)
        assert document["status"] == "failed"
        assert "terminated" in document["error"] and "fault test" in document["error"]
        cancel = httpx.post(f"{data.url}/v1/sessions/{session_id}/cancel", timeout=30)
        assert cancel.status_code == 409, cancel.text
        session_dir = data.root / "sessions" / session_id
        # An activity still running for the terminated workflow stops at its next heartbeat;
        # what it wrote meanwhile is swept by the server's housekeeping.
        poll(
            lambda: not any((session_dir / name).exists() for name in ("frames", "batches")),
            60,
            "the partial frames to be removed",
        )
        listed = httpx.get(f"{data.url}/v1/sessions", timeout=30).json()["sessions"]
        assert [s["status"] for s in listed if s["session_id"] == session_id] == ["failed"]
    finally:
        code, stderr = stop(process)
    assert code == 0 and "Traceback" not in stderr, stderr
    assert _stored(data, session_id)["status"] == "failed"
