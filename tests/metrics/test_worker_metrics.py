"""A vision worker's metrics on a real port during real analyses on the real Temporal dev
server: frames and batches counted, batch time, model load, backend errors by type; and the
`videolens worker --metrics-port` option as a process."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from typing import Any

import pytest
from metrics_helpers import metered_workers, scrape, value
from temporalio.client import Client

from analysis_sessions import submit
from openai_fake import OpenAIFake
from polling import apoll
from process_helpers import worker_env
from videolens.config import Settings
from videolens.pipeline.worker import Queue
from videolens.video.synthetic import ClipSpec

FRAMES = "videolens_frames_described_total"


def _analysed(settings: Settings, clip: ClipSpec) -> tuple[dict[str, Any], dict[Any, float]]:
    """Analyse ``clip`` under metered workers; the stored document and the worker's metrics."""

    async def scenario() -> tuple[dict[str, Any], dict[Any, float]]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        async with metered_workers(client, settings, Queue.ALL) as (_, port):
            store, session_id, handle = await submit(client, settings, clip.path)
            await handle.result()
            after = await asyncio.to_thread(scrape, f"http://127.0.0.1:{port}/metrics")
        return store.get(session_id), after

    return asyncio.run(scenario())


def test_frames_and_batches_counted_on_the_worker_port(
    settings: Settings, text_clip: ClipSpec
) -> None:
    settings = settings.model_copy(update={"batch_size": 4})

    async def scenario() -> tuple[dict[str, Any], list[dict[Any, float]]]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        async with metered_workers(client, settings, Queue.ALL) as (_, port):
            url = f"http://127.0.0.1:{port}/metrics"
            before = await asyncio.to_thread(scrape, url)
            store, session_id, handle = await submit(client, settings, text_clip.path)
            # Seen on the port while the analysis runs, not only once it has ended.
            during = await apoll(
                lambda: (s := scrape(url)) and value(s, FRAMES) > 0 and s, 60, "frames counted"
            )
            await handle.result()
            after = await asyncio.to_thread(scrape, url)
        return store.get(session_id), [before, during, after]

    document, (before, during, after) = asyncio.run(scenario())
    assert document["status"] == "completed"
    frames = len(document["frames"])
    batches = -(-frames // 4)
    labels = {"task_queue": settings.vision_task_queue, "backend": settings.backend}
    assert value(before, FRAMES) == 0
    assert 0 < value(during, FRAMES) <= frames
    assert value(after, FRAMES, **labels) == frames
    assert value(after, "videolens_batches_total", outcome="ok", **labels) == batches
    assert value(after, "videolens_batches_total", outcome="failed") == 0
    assert value(after, "videolens_batch_duration_seconds_count", **labels) == batches
    assert value(after, "videolens_batch_duration_seconds_sum", **labels) > 0
    assert value(after, "videolens_batches_in_progress") == 0
    assert value(after, "videolens_frames_per_second", **labels) > 0
    assert value(after, "videolens_backend_errors_total") == 0
    assert ("videolens_model_load_seconds", frozenset({("backend", labels["backend"])})) in after


def test_backend_errors_are_counted_by_exception_type(
    settings: Settings, text_clip: ClipSpec, openai_fake: OpenAIFake
) -> None:
    """The model server fails twice with a 500: the backend's exception type is counted, the
    failed attempts too, and Temporal's retries still complete the analysis."""
    settings = settings.model_copy(
        update={
            "backend": "openai",
            "vision_base_url": openai_fake.base_url,
            "vision_model": "fake-model",
            "batch_size": 100,  # one batch: the two failures are its first two attempts
            "max_frames": 6,
        }
    )
    openai_fake.script(times=2, status=500, only="chat")
    document, after = _analysed(settings, text_clip)
    assert document["status"] == "completed"
    errors = {
        dict(labels)["error"]: count
        for (name, labels), count in after.items()
        if name == "videolens_backend_errors_total"
    }
    assert errors == {"BackendError": 2}, errors
    assert value(after, "videolens_batches_total", outcome="failed", backend="openai") == 2
    assert value(after, "videolens_batches_total", outcome="ok", backend="openai") == 1
    assert value(after, FRAMES, backend="openai") == len(document["frames"])


def test_a_lazily_loaded_model_reports_its_load_time(
    settings: Settings, text_clip: ClipSpec, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The qwen backend loads its model on the first batch (a tiny random Qwen2.5-VL on the
    CPU here): that load, not the backend's cheap construction, is the reported time."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from videolens.backends.qwen.synthetic import save_random_model

    model = save_random_model(tmp_path_factory.mktemp("qwen") / "tiny-qwen2.5-vl")
    settings = settings.model_copy(
        update={
            "backend": "qwen",
            "qwen_model": str(model),
            "qwen_max_new_tokens": 4,
            "qwen_min_pixels": 28 * 28,
            "qwen_max_pixels": 56 * 56,
            "max_frames": 3,
            "speech": "off",
        }
    )
    document, after = _analysed(settings, text_clip)
    assert document["status"] == "completed", document.get("error")
    assert value(after, FRAMES, backend="qwen") == len(document["frames"]) > 0
    # Loading even a tiny model's weights takes tens of milliseconds (0.05 s in a CI run, from
    # the page cache); building the backend object (what would be timed without the backend's
    # own figure) takes microseconds.
    assert value(after, "videolens_model_load_seconds", backend="qwen") > 0.005


def test_worker_refuses_a_metrics_port_in_use(settings: Settings) -> None:
    """An explicitly chosen port that is taken stops the worker with one line naming the
    option, instead of a worker that nobody can scrape."""
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = worker_env(settings)
        done = subprocess.run(
            [sys.executable, "-m", "videolens", "worker", "--queue", "vision",
             "--metrics-port", str(port)],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"metrics port {port} is in use" in done.stderr
    assert "--metrics-port" in done.stderr
    assert "Traceback" not in done.stderr
