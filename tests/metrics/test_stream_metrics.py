"""A live stream's frames are counted in the vision worker's metrics like a file's: a real
MPEG-TS stream over UDP (ffmpeg playing a generated clip in real time) watched by the real
workflow on the Temporal dev server, the worker's metrics scraped from its real port."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from metrics_helpers import metered_workers, scrape, value
from temporalio.client import Client

from polling import apoll
from videolens.config import Settings
from videolens.pipeline.stream_client import (
    StreamRequest,
    create_stream,
    request_stop,
    start_stream,
)
from videolens.pipeline.temporal_server import free_port
from videolens.pipeline.worker import Queue
from videolens.streams.store import StreamStore
from videolens.video.synthetic import ClipSpec

FRAMES = "videolens_frames_described_total"

if shutil.which("ffmpeg") is None:  # pragma: no cover - .ci/run installs it
    pytest.skip("the stream tests need ffmpeg (apt-get install ffmpeg)", allow_module_level=True)


@contextmanager
def udp_source(clip: Path) -> Iterator[str]:
    """ffmpeg playing ``clip`` in real time, looped, as MPEG-TS to a free UDP port."""
    port = free_port()
    sender = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
         "-i", str(clip), "-an", "-c:v", "libx264", "-preset", "ultrafast", "-tune",
         "zerolatency", "-g", "12", "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"udp://127.0.0.1:{port}"
    finally:
        sender.kill()
        sender.wait(10)


@pytest.mark.timeout(120)
def test_stream_frames_and_windows_are_counted_on_the_worker_port(
    stream_settings: Settings, text_clip: ClipSpec
) -> None:
    settings = stream_settings
    store = StreamStore(settings.streams_dir)

    async def scenario() -> tuple[str, list[dict[Any, float]]]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        with udp_source(text_clip.path) as url:
            async with metered_workers(client, settings, Queue.ALL) as (_, port):
                metrics_url = f"http://127.0.0.1:{port}/metrics"
                before = await asyncio.to_thread(scrape, metrics_url)
                document, config = create_stream(settings, StreamRequest(url=url))
                stream_id = document.stream_id
                handle = await start_stream(client, config)
                # Seen on the port while the stream runs, not only once it has stopped.
                during = await apoll(
                    lambda: (s := scrape(metrics_url)) and value(s, FRAMES) >= 3 and s,
                    60,
                    "stream frames counted",
                )
                await request_stop(client, stream_id)
                await asyncio.wait_for(handle.result(), 30)
                after = await asyncio.to_thread(scrape, metrics_url)
        return stream_id, [before, during, after]

    stream_id, (before, during, after) = asyncio.run(scenario())
    frames = store.moments(stream_id)
    windows = store.window_names(stream_id)
    assert frames and windows
    # One describe_stream_window activity per stored window, none retried here.
    labels = {"task_queue": settings.vision_task_queue, "backend": "basic"}
    assert value(before, FRAMES) == 0
    assert 3 <= value(during, FRAMES) <= len(frames)
    assert value(after, FRAMES, **labels) == len(frames)
    assert value(after, "videolens_batches_total", outcome="ok", **labels) == len(windows)
    assert value(after, "videolens_batches_total", outcome="failed") == 0
    assert value(after, "videolens_batch_duration_seconds_count", **labels) == len(windows)
    assert value(after, "videolens_batches_in_progress") == 0
    assert value(after, "videolens_frames_per_second", **labels) > 0
