"""The workflow end to end on a real Temporal dev server with in-process workers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from analysis_sessions import analyse, submit
from polling import wait_async
from videolens.config import SamplingStrategy, Settings
from videolens.pipeline.client import follow, query_progress
from videolens.pipeline.shared import AnalysisProgress
from videolens.pipeline.worker import running_workers
from videolens.video.synthetic import ClipSpec, Shot, write_clip


async def _connect(settings: Settings) -> Client:
    assert settings.temporal_address
    return await Client.connect(settings.temporal_address)


def test_analysis_describes_every_sampled_frame_once(
    settings: Settings, text_clip: ClipSpec
) -> None:
    seen: list[AnalysisProgress] = []

    async def scenario() -> tuple[dict[str, Any], str]:
        client = await _connect(settings)
        async with running_workers(client, settings):
            store, session_id, handle = await submit(client, settings, text_clip.path)
            await follow(handle, seen.append)
        return store.get(session_id), session_id

    document, session_id = asyncio.run(scenario())

    assert document["status"] == "completed"
    frames = document["frames"]
    indexes = [frame["index"] for frame in frames]
    assert len(indexes) == len(set(indexes)), "a frame was described twice"
    jpegs = sorted(Path(settings.sessions_dir / session_id / "frames").glob("*.jpg"))
    assert {str(p) for p in jpegs} == {frame["image"] for frame in frames}
    assert all(frame["description"] and frame["model"] == "basic" for frame in frames)
    assert [f["timestamp_s"] for f in frames] == sorted(f["timestamp_s"] for f in frames)
    words = {line for frame in frames for line in frame["text"]}
    assert {"WELCOME", "HARBOR", "SUNRISE"} <= words
    assert document["coverage"]["frames"] == len(frames)
    assert document["coverage"]["max_gap_s"] <= settings.floor_interval_s + 0.5
    assert document["video"]["duration_s"] == pytest.approx(text_clip.duration_s, abs=0.1)
    assert document["timings"]["total_s"] > 0
    assert not (settings.sessions_dir / session_id / "tmp").exists()
    # Without a chat model, chapters come from the shots: one per shot, the first at 0.
    assert document["summary_mode"] == "shots"
    assert document["summary"]
    assert [c["start_s"] for c in document["chapters"]] == pytest.approx([0.0, 3.0, 6.0], abs=0.2)
    stages = {p.stage for p in seen}
    assert "analysing" in stages
    assert max(p.frames_described for p in seen) <= len(frames)


def test_interval_strategy_gives_expected_timestamps(
    settings: Settings, text_clip: ClipSpec
) -> None:
    settings = settings.model_copy(
        update={"strategy": SamplingStrategy.INTERVAL, "interval_s": 1.5, "segment_s": 4.0}
    )
    document = analyse(settings, text_clip.path)
    times = [frame["timestamp_s"] for frame in document["frames"]]
    assert times == pytest.approx([0.0, 1.5, 3.0, 4.5, 6.0, 7.5], abs=0.05)


@pytest.mark.parametrize("content", [b"", b"this is not a video\n" * 50])
def test_bad_input_fails_with_a_clear_reason_and_no_frames(
    settings: Settings, tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)

    async def scenario() -> tuple[BaseException, dict[str, Any], str]:
        client = await _connect(settings)
        async with running_workers(client, settings):
            store, session_id, handle = await submit(client, settings, bad)
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
        return failure.value, store.get(session_id), session_id

    error, document, session_id = asyncio.run(scenario())
    assert isinstance(error.cause, ApplicationError)
    assert "bad.mp4" in error.cause.message
    assert "\n" not in error.cause.message
    assert document["status"] == "failed"
    assert "bad.mp4" in document["error"]
    assert document["frames"] == []
    assert not (settings.sessions_dir / session_id / "frames").exists()


def test_cancel_marks_the_session_cancelled(settings: Settings, tmp_path: Path) -> None:
    clip = write_clip(
        tmp_path / "long.mp4", [Shot(20.0, (20, 20, 20), "WAIT"), Shot(20.0, (90, 0, 0), "")]
    )
    settings = settings.model_copy(
        update={"strategy": SamplingStrategy.INTERVAL, "interval_s": 0.25, "batch_size": 2}
    )

    async def scenario() -> dict[str, Any]:
        client = await _connect(settings)
        async with running_workers(client, settings):
            store, session_id, handle = await submit(client, settings, clip.path)

            async def some_described() -> bool:
                return (await query_progress(handle)).frames_described > 0

            await wait_async(some_described, 60, "the first described batch")
            await handle.cancel()
            with pytest.raises(WorkflowFailureError):
                await handle.result()
        return store.get(session_id)

    document = asyncio.run(scenario())
    assert document["status"] == "cancelled"
    assert 0 < len(document["frames"]) < 160
