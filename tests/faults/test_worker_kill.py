"""A worker process SIGKILLed mid-batch on a Temporal "cluster" (a dev server the test runs):
`videolens analyze` follows on, the other worker takes the batch over, every frame once."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from fault_helpers import VIDEOLENS, DataDir, assert_frames_complete, poll, spawn, stop

from videolens.pipeline.temporal_server import (
    free_port,
    start_dev_server,
    stop_dev_server,
    wait_until_listening,
)
from videolens.video.synthetic import ClipSpec


@pytest.mark.timeout(300)
def test_a_killed_worker_loses_nothing(data: DataDir, fault_clip: ClipSpec, tmp_path: Path) -> None:
    port = free_port()
    server = start_dev_server(port, tmp_path / "cluster.log")
    env = {**data.environment(), "VIDEOLENS_TEMPORAL_ADDRESS": f"127.0.0.1:{port}"}
    workers = []
    try:
        wait_until_listening(port)
        workers = [spawn([VIDEOLENS, "worker", "--queue", "all"], env) for _ in range(2)]
        analyze = spawn([VIDEOLENS, "analyze", str(fault_clip.path), "--json"], env)
        poll(lambda: data.described() >= 4 or analyze.poll() is not None, 120, "frames described")
        assert analyze.poll() is None, analyze.communicate()[1]
        workers[0].send_signal(signal.SIGKILL)
        stdout, stderr = analyze.communicate(timeout=240)
        assert analyze.returncode == 0, stderr
        assert "Traceback" not in stderr
        document = json.loads(stdout)
        assert document["status"] == "completed"
        assert_frames_complete(document, fault_clip)
    finally:
        for worker in workers:
            stop(worker)
        stop_dev_server(server)
