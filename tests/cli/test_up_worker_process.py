"""``videolens up`` runs its workers in a child process: a real analysis completes through it, a
killed worker is started again, its metrics reach the API's /metrics, and SIGTERM leaves no child.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import psutil

from polling import poll
from process_helpers import VIDEOLENS, listening, ready, running, stop, videolens_env
from videolens.pipeline.temporal_server import free_port
from videolens.pipeline.worker_process import CHILD_MODULE
from videolens.video.synthetic import Shot, write_clip


def _worker_children(pid: int) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if CHILD_MODULE in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _one_worker(pid: int) -> psutil.Process | None:
    children = _worker_children(pid)
    return children[0] if len(children) == 1 else None


def _status(url: str, session_id: str) -> str:
    return str(httpx.get(f"{url}/v1/sessions/{session_id}", timeout=30).json()["status"])


def _analysed(url: str, clip: Path) -> str:
    with clip.open("rb") as handle:
        made = httpx.post(f"{url}/v1/videos", files={"file": ("clip.mp4", handle)}, timeout=60)
    assert made.status_code == 202, made.text
    session_id = str(made.json()["session_id"])
    poll(lambda: _status(url, session_id) != "running", 180, "the analysis to end")
    return _status(url, session_id)


def test_up_analyses_in_a_worker_process_it_supervises(tmp_path: Path) -> None:
    port, temporal_port = free_port(), free_port()
    env = videolens_env(
        VIDEOLENS_DATA_DIR=str(tmp_path / "data"),
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(temporal_port),
        VIDEOLENS_METRICS_CACHE_S="0",
    )
    clip = write_clip(tmp_path / "clip.mp4", [Shot(2.0, (30, 120, 200), "HARBOR")]).path
    url = f"http://127.0.0.1:{port}"
    with running([VIDEOLENS, "up", "--port", str(port)], env) as process:
        poll(lambda: ready(url), 90, "`videolens up` to be ready")
        worker = poll(lambda: _one_worker(process.pid), 60, "one worker process")
        assert worker.pid != process.pid
        assert _analysed(url, clip) == "completed"
        metrics = httpx.get(f"{url}/metrics", timeout=30).text
        assert "videolens_frames_described_total{" in metrics  # the child's, relayed

        worker.kill()  # a worker that dies is started again, and analyses go on
        restarted = poll(
            lambda: (w := _one_worker(process.pid)) is not None and w.pid != worker.pid and w,
            60,
            "another worker process",
        )
        assert _analysed(url, clip) == "completed"

        returncode, stderr = stop(process, timeout_s=90)
    assert returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert f"the worker process (pid {worker.pid}) exited" in stderr
    assert not psutil.pid_exists(restarted.pid) or restarted.status() == psutil.STATUS_ZOMBIE
    assert not listening(temporal_port), "the embedded Temporal server outlived `up`"
