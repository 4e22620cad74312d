"""A stream over several workflow runs (continue-as-new keeps the history bounded) loses and
repeats nothing; a recording in segments plays back the moments described."""

from __future__ import annotations

import asyncio
from typing import Any

import av
import pytest
from stream_helpers import store_of, wait_async, watched_stream
from stream_media import udp_sender

from videolens.config import Settings
from videolens.pipeline.stream_client import StreamRequest, stream_progress
from videolens.video.synthetic import ClipSpec


@pytest.mark.timeout(120)
def test_continue_as_new_and_recording(stream_settings: Settings, clip: ClipSpec) -> None:
    settings = stream_settings.model_copy(
        update={"stream_windows_per_run": 3, "stream_record_segment_s": 3.0}
    )
    store = store_of(settings)

    async def scenario() -> tuple[str, Any, int]:
        with udp_sender(clip) as (_, url):
            async with watched_stream(settings, StreamRequest(url=url, record=True)) as stream:
                stream_id, client = stream.stream_id, stream.client

                async def third_run() -> Any:
                    progress = await stream_progress(client, stream_id)
                    return progress if progress and progress.runs >= 3 else None

                progress = await wait_async(third_run, 60, "a third workflow run")
                summary = await stream.stop()
                history = [e async for e in stream.handle.fetch_history_events()]
        return stream_id, (progress, summary), len(history)

    stream_id, (progress, summary), last_run_events = asyncio.run(scenario())
    frames = store.moments(stream_id)
    seqs = [f.seq for f in frames]
    assert seqs == list(range(len(seqs))) and summary.frames == len(frames)
    assert progress.windows >= 6  # the totals carried over from run to run
    # One run's history stays small however long the stream runs.
    assert last_run_events < 200
    segments = store.recordings(stream_id)
    assert len(segments) >= 2
    first = segments[0]
    assert first["end_at"] is not None and first["end_at"] - first["start_at"] >= 2.5
    with av.open(str(store.recordings_dir(stream_id) / first["name"])) as recording:
        decoded = sum(1 for _ in recording.decode(video=0))
    assert decoded >= 2.5 * 25 * 0.9  # a segment of ~3 s of 25 fps video plays on its own
    # A described moment falls within a recorded segment.
    inside = [f for f in frames if first["start_at"] <= (f.at or 0.0) < first["end_at"]]
    assert inside
