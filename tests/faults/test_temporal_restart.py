"""The embedded Temporal server killed (kill -9) under a following ``videolens analyze``."""

from __future__ import annotations

import json
import os
import signal

import pytest
from fault_helpers import VIDEOLENS, DataDir, alive, assert_frames_complete, poll

from process_helpers import running
from videolens.video.synthetic import ClipSpec


@pytest.mark.timeout(300)
def test_cli_restarts_a_killed_server_and_completes(data: DataDir, fault_clip: ClipSpec) -> None:
    analyze = [VIDEOLENS, "analyze", str(fault_clip.path), "--json"]
    with running(analyze, data.environment()) as process:
        first = poll(data.server_pid, 60, "the embedded server to start")
        poll(lambda: data.described() >= 4 or process.poll() is not None, 120, "frames described")
        assert process.poll() is None, process.communicate()[1]
        os.kill(first, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "RPCError" not in stderr
    assert "restarted it" in stderr
    document = json.loads(stdout)
    assert document["status"] == "completed"
    assert_frames_complete(document, fault_clip)
    # The server it restarted is stopped with it, like the first one would have been.
    assert data.server_pid() is None and not alive(first)
