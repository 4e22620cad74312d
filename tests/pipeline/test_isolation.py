"""Deployments never share work: one embedded server per data dir, queues per deployment,
workers that refuse foreign sessions, and runs that complete only with every planned frame."""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from analysis_sessions import submit
from videolens.config import SamplingStrategy, Settings
from videolens.pipeline.activities import VisionActivities
from videolens.pipeline.embedded_server import STATE_FILE
from videolens.pipeline.shared import DescribeBatchInput, DescribeResult
from videolens.pipeline.temporal_server import (
    free_port,
    listening,
    start_dev_server,
    stop_dev_server,
    wait_until_listening,
)
from videolens.pipeline.worker import Queue, running_workers
from videolens.store import SessionStore
from videolens.video.synthetic import ClipSpec, Shot, write_clip

VIDEOLENS = str(Path(sys.executable).parent / "videolens")
INTERVAL_S = 0.5


def _analyze(clip: Path, data_dir: Path, port: int) -> subprocess.Popen[str]:
    """``videolens analyze`` in embedded mode, as a user would start it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIDEOLENS_")}
    env.update(
        VIDEOLENS_DATA_DIR=str(data_dir),
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(port),
        VIDEOLENS_STRATEGY="interval",
        VIDEOLENS_INTERVAL_S=str(INTERVAL_S),
        VIDEOLENS_BATCH_SIZE="2",
    )
    return subprocess.Popen(
        [VIDEOLENS, "analyze", str(clip), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stderr
    document: dict[str, Any] = json.loads(stdout)
    return document


def _expected_times(clip: ClipSpec) -> list[float]:
    return [n * INTERVAL_S for n in range(math.ceil(clip.duration_s / INTERVAL_S - 1e-6))]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClipSpec, ClipSpec]:
    root = tmp_path_factory.mktemp("isolation")
    first = write_clip(
        root / "first.mp4", [Shot(3.0, (200, 40, 40), "ALPHA"), Shot(3.0, (30, 120, 200), "")]
    )
    second = write_clip(
        root / "second.mp4", [Shot(2.5, (240, 220, 60), "BRAVO"), Shot(2.5, (20, 20, 20), "")]
    )
    return first, second


def _assert_exactly_planned(document: dict[str, Any], clip: ClipSpec) -> None:
    assert document["status"] == "completed"
    times = [frame["timestamp_s"] for frame in document["frames"]]
    assert times == pytest.approx(_expected_times(clip), abs=0.05)
    indexes = [frame["index"] for frame in document["frames"]]
    assert len(indexes) == len(set(indexes))


def test_two_data_dirs_at_once_each_keep_all_their_own_frames(
    clips: tuple[ClipSpec, ClipSpec], tmp_path: Path
) -> None:
    # The same port for both, as two users with the default settings would have it.
    port = free_port()
    first_dir, second_dir = tmp_path / "A", tmp_path / "B"
    runs = [_analyze(clips[0].path, first_dir, port), _analyze(clips[1].path, second_dir, port)]
    first, second = (_finish(run) for run in runs)

    _assert_exactly_planned(first, clips[0])
    _assert_exactly_planned(second, clips[1])
    for data_dir, document in ((first_dir, first), (second_dir, second)):
        sessions = sorted(p.name for p in (data_dir / "sessions").iterdir())
        assert sessions == [document["session_id"]], "a session's work landed in another store"
        assert not (data_dir / STATE_FILE).exists(), "the last user did not stop its server"
    assert not listening(port)


def test_two_runs_on_one_data_dir_share_its_server_and_both_complete(
    clips: tuple[ClipSpec, ClipSpec], tmp_path: Path
) -> None:
    data_dir, port = tmp_path / "shared", free_port()
    first_run = _analyze(clips[0].path, data_dir, port)
    second_run = _analyze(clips[1].path, data_dir, port)
    first, second = _finish(first_run), _finish(second_run)

    _assert_exactly_planned(first, clips[0])
    _assert_exactly_planned(second, clips[1])
    assert not (data_dir / STATE_FILE).exists()
    assert not listening(port)


def test_a_foreign_server_on_the_port_is_never_used(
    clips: tuple[ClipSpec, ClipSpec], tmp_path: Path
) -> None:
    port = free_port()
    foreign = start_dev_server(port, tmp_path / "foreign.log")
    try:
        wait_until_listening(port)
        document = _finish(_analyze(clips[0].path, tmp_path / "data", port))
        _assert_exactly_planned(document, clips[0])

        async def foreign_workflows() -> list[str]:
            client = await Client.connect(f"127.0.0.1:{port}")
            return [execution.id async for execution in client.list_workflows()]

        assert asyncio.run(foreign_workflows()) == []
        assert listening(port), "our run stopped a server that was not its own"
    finally:
        stop_dev_server(foreign)


def test_queues_are_named_per_data_dir_in_embedded_mode(tmp_path: Path) -> None:
    first = Settings(_env_file=None, data_dir=tmp_path / "A")  # type: ignore[call-arg]
    again = Settings(_env_file=None, data_dir=tmp_path / "A")  # type: ignore[call-arg]
    other = Settings(_env_file=None, data_dir=tmp_path / "B")  # type: ignore[call-arg]
    assert first.cpu_task_queue == again.cpu_task_queue
    assert first.cpu_task_queue != other.cpu_task_queue
    assert first.vision_task_queue != other.vision_task_queue
    assert first.cloud_task_queue != other.cloud_task_queue
    cluster = Settings(_env_file=None, temporal_address="t:7233")  # type: ignore[call-arg]
    assert cluster.cpu_task_queue == "videolens-cpu"
    named = Settings(_env_file=None, temporal_address="t:7233", deployment="eu1")  # type: ignore[call-arg]
    assert named.vision_task_queue == "videolens-vision-eu1"


def test_a_worker_refuses_a_session_its_store_does_not_hold(
    settings: Settings, text_clip: ClipSpec, tmp_path: Path
) -> None:
    # Two stores on the same queues (a misconfiguration): only the other store's worker runs.
    owner = settings
    stranger = settings.model_copy(update={"data_dir": tmp_path / "stranger"})

    async def scenario() -> BaseException:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        async with running_workers(client, stranger):
            _, _, handle = await submit(client, owner, text_clip.path)
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
        return failure.value

    error: BaseException | None = asyncio.run(scenario())
    causes = []
    while error is not None:
        causes.append(error)
        error = error.__cause__ or getattr(error, "cause", None)
    refusals = [c for c in causes if isinstance(c, ApplicationError) and c.type == "ForeignSession"]
    assert refusals and "not in this worker's store" in refusals[0].message
    assert refusals[0].non_retryable
    assert not (stranger.sessions_dir).exists() or not any(stranger.sessions_dir.iterdir())


def test_a_run_with_a_lost_batch_is_not_completed(settings: Settings, text_clip: ClipSpec) -> None:
    settings = settings.model_copy(
        update={"strategy": SamplingStrategy.INTERVAL, "interval_s": 1.0, "batch_size": 2}
    )
    store = SessionStore(settings.sessions_dir)
    real = VisionActivities(store, settings)
    lost: list[str] = []

    @activity.defn(name="describe_batch")
    def describe_and_lose_one(request: DescribeBatchInput) -> DescribeResult:
        """The real activity, but the first batch's stored frames vanish afterwards."""
        result = real.describe(request)
        if not lost:
            lost.append(request.batch_id)
            (
                store.session_dir(request.session_id) / "batches" / f"{request.batch_id}.json"
            ).unlink()
        return result

    async def scenario() -> tuple[BaseException, dict[str, Any]]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        vision = Worker(
            client,
            task_queue=settings.vision_task_queue,
            activities=[describe_and_lose_one],
            activity_executor=executor,
        )
        async with running_workers(client, settings, Queue.CPU), vision:
            _, session_id, handle = await submit(client, settings, text_clip.path)
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
        return failure.value, store.get(session_id)

    executor = ThreadPoolExecutor(max_workers=2)
    try:
        error, document = asyncio.run(scenario())
    finally:
        real.close()
        executor.shutdown()
    assert lost
    assert isinstance(error.cause, ApplicationError)
    assert "never stored" in error.cause.message
    assert document["status"] == "failed"
    assert "of 9 sampled frames were never stored" in document["error"]
