"""The embedded Temporal server killed (kill -9) under `videolens up` mid-analysis: the API's
housekeeping restarts it on the same database, the workers reconnect, and the upload's analysis
completes with every frame once; progress reads never turn into errors meanwhile."""

from __future__ import annotations

import os
import signal
from typing import Any

import httpx
import pytest
from fault_helpers import DataDir, alive, assert_frames_complete, poll, start_up, stop

from videolens.video.synthetic import ClipSpec


@pytest.mark.timeout(360)
def test_up_restarts_a_killed_server_and_the_analysis_completes(
    data: DataDir, fault_clip: ClipSpec
) -> None:
    up = start_up(data)
    statuses: list[int] = []
    try:
        with fault_clip.path.open("rb") as handle:
            response = httpx.post(
                f"{data.url}/v1/videos",
                files={"file": (fault_clip.path.name, handle, "video/mp4")},
                timeout=60,
            )
        assert response.status_code == 202, response.text
        session_id = response.json()["session_id"]
        first = poll(data.server_pid, 30, "the embedded server")
        poll(lambda: data.described() >= 4, 120, "frames described")
        os.kill(first, signal.SIGKILL)

        def finished() -> dict[str, Any] | None:
            reply = httpx.get(f"{data.url}/v1/sessions/{session_id}", timeout=30)
            statuses.append(reply.status_code)
            document: dict[str, Any] = reply.json()
            return (
                document if reply.status_code == 200 and document["status"] != "running" else None
            )

        poll(finished, 240, "the analysis to end after the server was killed")
        second = data.server_pid()
        assert second is not None and second != first, "the server was not restarted"
        frames = httpx.get(
            f"{data.url}/v1/sessions/{session_id}/frames", params={"limit": 500}, timeout=30
        ).json()
    finally:
        code, stderr = stop(up)
    assert set(statuses) == {200}, statuses
    assert frames["status"] == "completed"
    assert_frames_complete({"frames": frames["frames"]}, fault_clip)
    assert code == 0 and "Traceback" not in stderr, stderr
    assert data.server_pid() is None and not alive(first)
