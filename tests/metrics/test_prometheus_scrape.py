"""A real Prometheus (Debian's `prometheus`) scrapes the API and a vision worker during an
analysis; its HTTP API shows the vision backlog while no vision worker runs, then the worker's
frames-described counter rising to the session's frame count."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from metrics_helpers import live_api
from temporalio.client import Client

from live_server import LiveServer
from polling import apoll, poll
from process_helpers import ready, stop
from videolens.config import Settings
from videolens.metrics.worker_metrics import WorkerMetrics, serve_worker_metrics
from videolens.pipeline.temporal_server import free_port
from videolens.pipeline.worker import Queue, running_workers
from videolens.video.synthetic import ClipSpec

FRAMES = "videolens_frames_described_total"


class Prometheus:
    """A Prometheus server process and its HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def scalar(self, expr: str) -> float | None:
        """The single value ``expr`` gives now, or None when it gives nothing."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def history(self, expr: str, since: float) -> list[float]:
        """The values of ``expr`` each second from ``since`` until now."""
        response = httpx.get(
            f"{self.url}/api/v1/query_range",
            params={"query": expr, "start": since, "end": time.time(), "step": "1s"},
            timeout=10,
        )
        result = response.json()["data"]["result"]
        return [float(v) for _, v in result[0]["values"]] if result else []


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Any]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("Prometheus is not installed (Debian: apt-get install prometheus; CI has it)")
    started: list[subprocess.Popen[bytes]] = []

    def start(targets: dict[str, str]) -> Prometheus:
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "900ms"},
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": [target]}]}
                for job, target in targets.items()
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = (tmp_path / "prometheus.log").open("wb")
        started.append(
            subprocess.Popen(
                [
                    binary,
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        url = f"http://127.0.0.1:{port}"
        poll(
            lambda: ready(url, "/-/ready", timeout_s=1) or started[-1].poll() is not None,
            30,
            "Prometheus ready",
        )
        assert started[-1].poll() is None, (tmp_path / "prometheus.log").read_text()
        return Prometheus(url)

    yield start
    for process in started:
        stop(process, timeout_s=30)


@pytest.mark.timeout(120)
def test_prometheus_sees_the_backlog_then_frames_described_rise(
    settings: Settings, text_clip: ClipSpec, prometheus_for: Any
) -> None:
    settings = settings.model_copy(update={"metrics_cache_s": 0.5, "batch_size": 2})
    worker_port = free_port()
    with live_api(settings) as api:
        prometheus = prometheus_for(
            {"videolens-api": api.url.removeprefix("http://"), "vision": f"127.0.0.1:{worker_port}"}
        )
        poll(lambda: prometheus.scalar('up{job="videolens-api"}') == 1, 30, "the API scraped")
        vision_backlog = (
            f'videolens_task_queue_backlog{{task_queue="{settings.vision_task_queue}",'
            'kind="activity"}'
        )
        began = time.time()
        session = asyncio.run(
            _analyse(settings, api, text_clip, prometheus, vision_backlog, worker_port)
        )

        frames = int(session["frames"])  # the API gives the count
        assert session["status"] == "completed" and frames > 0
        total = f"sum({FRAMES})"
        poll(lambda: prometheus.scalar(total) == frames, 20, "the final count scraped")
        # A range query's last step may fall just before the newest sample: poll until it holds it.
        seen = poll(
            lambda: (h := prometheus.history(total, began)) and h[-1] == frames and h,
            20,
            "the final count in the range query",
        )
        # It rose while Prometheus watched. From 0 where the first scrape of the worker came
        # before its first batch; under load (CI) the worker had described 4 of 6 frames by then.
        assert seen[0] < seen[-1] == frames, seen
        assert seen == sorted(seen), "the counter went down"
        assert (prometheus.scalar(f"max_over_time({vision_backlog}[5m])") or 0) >= 1
        # The worker has stopped by now, so its latest scrape may already be down: it was scraped.
        assert prometheus.scalar('max_over_time(up{job="vision"}[5m])') == 1


async def _analyse(
    settings: Settings,
    api: LiveServer,
    clip: ClipSpec,
    prometheus: Prometheus,
    vision_backlog: str,
    worker_port: int,
) -> dict[str, Any]:
    """Upload with only a CPU worker running, so the vision batches wait; once Prometheus has
    seen them waiting, start a vision worker with its metrics on ``worker_port``."""
    assert settings.temporal_address
    client = await Client.connect(settings.temporal_address)
    async with running_workers(client, settings, Queue.CPU):
        response = await asyncio.to_thread(_upload, api.url, clip.path)
        assert response.status_code == 202, response.text
        session_id = response.json()["session_id"]
        await apoll(
            lambda: (prometheus.scalar(vision_backlog) or 0) >= 1, 45, "Prometheus to see a backlog"
        )
        metrics = WorkerMetrics()
        # Its counter at 0 is scraped before the worker starts: the waiting batches can all be
        # described within one scrape interval (CI: a first scrape at 6 of 6 frames).
        metrics.expect(settings.vision_task_queue, settings.backend)
        with serve_worker_metrics(metrics, worker_port, host="127.0.0.1"):
            await apoll(
                lambda: prometheus.scalar(f"sum({FRAMES})") == 0, 30, "the counter scraped at 0"
            )
            async with running_workers(client, settings, Queue.VISION, metrics=metrics):
                await apoll(
                    lambda: (prometheus.scalar(f"sum({FRAMES})") or 0) > 0,
                    45,
                    "Prometheus to see frames described",
                )
                session = await apoll(
                    lambda: _finished(api.url, session_id), 45, "the analysis to finish"
                )
                # The last batches' counts reach Prometheus before the worker goes.
                frames = int(session["frames"])  # the API gives the count
                await apoll(
                    lambda: prometheus.scalar(f"sum({FRAMES})") == frames, 20, "the final count"
                )
    return session


def _upload(url: str, path: Path) -> httpx.Response:
    with path.open("rb") as handle:
        return httpx.post(f"{url}/v1/videos", files={"file": (path.name, handle)}, timeout=60)


def _finished(url: str, session_id: str) -> dict[str, Any] | None:
    document: dict[str, Any] = httpx.get(f"{url}/v1/sessions/{session_id}", timeout=10).json()
    return document if document["status"] != "running" else None
