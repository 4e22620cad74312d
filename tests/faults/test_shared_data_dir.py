"""`videolens up` and `videolens analyze` on one data dir at once: they share its embedded
server, the analysis completes, and the server outlives the analysis while `up` still uses it."""

from __future__ import annotations

import json

import httpx
import pytest
from fault_helpers import (
    VIDEOLENS,
    DataDir,
    assert_frames_complete,
    poll,
    ready,
    spawn,
    start_up,
    stop,
)

from videolens.video.synthetic import ClipSpec

pytestmark = pytest.mark.timeout(300)


def test_up_started_beside_a_running_analyze_keeps_the_server_after_it(
    data: DataDir, fault_clip: ClipSpec
) -> None:
    """The analysis starts the server; `up` joins; the analysis ends first. Before the server was
    shared by reference count, the analysis stopped it under `up`."""
    analyze = spawn([VIDEOLENS, "analyze", str(fault_clip.path), "--json"], data.environment())
    up = None
    try:
        pid = poll(data.server_pid, 60, "the analysis to start the embedded server")
        up = start_up(data)
        stdout, stderr = analyze.communicate(timeout=240)
        assert analyze.returncode == 0, stderr
        document = json.loads(stdout)
        assert document["status"] == "completed"
        assert_frames_complete(document, fault_clip)
        assert data.server_pid() == pid, "the analysis stopped the server `up` still uses"
        assert ready(data.url)
        sessions = httpx.get(f"{data.url}/v1/sessions", timeout=10).json()["sessions"]
        assert [s["session_id"] for s in sessions] == [document["session_id"]]
    finally:
        if analyze.poll() is None:
            stop(analyze)
        code, stderr = stop(up) if up is not None else (0, "")
    assert code == 0, stderr
    assert data.server_pid() is None, "the last user did not stop the embedded server"
