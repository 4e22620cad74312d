"""A real MPEG-TS stream over UDP (ffmpeg playing a generated clip in real time) watched by the
real workflow on the Temporal dev server with in-process workers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from stream_helpers import (
    frames_with_word,
    jpegs,
    sent_and_watched,
    wait_async,
    wait_for,
)
from stream_media import WORD, udp_sender, word_shown_at
from temporalio.client import Client, WorkflowExecutionStatus

from videolens.config import Settings
from videolens.pipeline.stream_client import StreamProgress, stream_progress
from videolens.streams.store import StreamStore
from videolens.timeline.model import Moment
from videolens.video.synthetic import ClipSpec

# A described frame is at most a window (2 s here) plus describing it behind the moment shown.
DESCRIBED_WITHIN_S = 6.0


def _assert_frames_whole(frames: list[Moment], first_seq: int = 0) -> None:
    """Numbered without holes or repeats from ``first_seq``, in time order."""
    seqs = [f.seq for f in frames]
    assert seqs == list(range(first_seq, first_seq + len(seqs))), seqs
    times = [f.at for f in frames]
    assert times == sorted(times) and len(set(times)) == len(times)


async def _reconnecting(client: Client, stream_id: str) -> StreamProgress:
    """The stream's progress once its reader has noticed the source dropped and reconnects."""

    async def reconnecting() -> StreamProgress | None:
        progress = await stream_progress(client, stream_id)
        return progress if progress and progress.state == "reconnecting" else None

    return await wait_async(reconnecting, 30, "the reader to notice the drop")


@pytest.mark.timeout(120)
def test_frames_are_described_seconds_after_they_are_shown(
    stream_settings: Settings, store: StreamStore, clip: ClipSpec
) -> None:
    async def scenario() -> dict[str, Any]:
        watching = sent_and_watched(
            stream_settings, udp_sender(clip), rules=[f"word:{WORD}", "shot"]
        )
        async with watching as (sender, stream):
            stream_id, client = stream.stream_id, stream.client
            found = await wait_for(
                lambda: frames_with_word(store, stream_id, WORD), 60, "the word described"
            )
            seen_at = time.time()
            events = await wait_for(lambda: store.stream_events(stream_id), 10, "an event")
            progress = await stream_progress(client, stream_id)
            summary = await stream.stop()
            status = (await stream.handle.describe()).status
        shown = word_shown_at(sender.started_at, found[0].at)
        return {
            "id": stream_id,
            "frame": found[0],
            "shown": shown,
            "latency": seen_at - shown,
            "events": events,
            "progress": progress,
            "summary": summary,
            "status": status,
        }

    run = asyncio.run(scenario())
    frame, stream_id = run["frame"], run["id"]
    # The timeline is wall-clock: the frame's time is when the sender showed it (ffmpeg starts
    # a fraction of a second after we note its start; the receiver sees it soon after).
    assert 0 <= frame.at - run["shown"] < 2.5, frame.at - run["shown"]
    print(f"word shown → described: {run['latency']:.2f} s")
    assert run["latency"] < DESCRIBED_WITHIN_S
    word_events = [e for e in run["events"] if e.rule == "word:exit"]
    assert word_events and word_events[0].seq == frame.seq
    assert word_events[0].match == f"'{WORD}' on screen"
    assert run["progress"] is not None and run["progress"].state == "live"
    # Stopped cleanly: the workflow completed and every frame it read is described, once.
    assert run["status"] == WorkflowExecutionStatus.COMPLETED
    document = store.document(stream_id)
    assert document.status == "stopped" and document.error is None
    frames = store.moments(stream_id)
    _assert_frames_whole(frames)
    assert document.frames_total == len(frames) == run["summary"].frames
    assert {str(p) for p in jpegs(stream_settings, stream_id)} == {f.image for f in frames}
    assert all(f.description and f.model == "basic" for f in frames)
    assert document.latest is not None and document.latest.seq == frames[-1].seq


@pytest.mark.timeout(120)
def test_a_dropped_source_is_reconnected_and_the_gap_reported(
    stream_settings: Settings, store: StreamStore, clip: ClipSpec
) -> None:
    async def scenario() -> dict[str, Any]:
        async with sent_and_watched(stream_settings, udp_sender(clip)) as (sender, stream):
            stream_id, client = stream.stream_id, stream.client
            await wait_for(lambda: len(store.moments(stream_id)) >= 2, 60, "frames")
            sender.kill()
            killed_at = time.time()
            down = await _reconnecting(client, stream_id)
            sender.start()
            restarted_at = sender.started_at
            after = await wait_for(
                lambda: [f for f in store.moments(stream_id) if f.at > restarted_at],
                40,
                "frames after the source came back",
            )
            gaps = await wait_for(lambda: store.document(stream_id).gaps, 10, "the gap")
            await stream.stop()
        return {
            "id": stream_id,
            "killed_at": killed_at,
            "restarted_at": restarted_at,
            "down": down,
            "after": after,
            "gaps": gaps,
        }

    run = asyncio.run(scenario())
    assert "no data" in run["down"].source_error
    [gap] = run["gaps"]
    # The gap runs from the last frame before the drop (frames sent just before the kill still
    # arrive a moment later) to the first one after it.
    assert gap.start_at <= run["killed_at"] + 0.5 and gap.end_at >= run["restarted_at"]
    assert gap.seconds == pytest.approx(gap.end_at - gap.start_at, abs=0.01)
    assert "dropped" in gap.reason
    print(f"gap reported: {gap.seconds:.1f} s ({gap.reason})")
    frames = store.moments(run["id"])
    _assert_frames_whole(frames)
    assert run["after"][0].reason == "start"  # watching restarted there
    assert store.document(run["id"]).status == "stopped"


@pytest.mark.timeout(120)
def test_retention_removes_old_frames(
    stream_settings: Settings, store: StreamStore, clip: ClipSpec
) -> None:
    retention_s = 5.0

    async def scenario() -> tuple[str, int, float]:
        async with sent_and_watched(
            stream_settings, udp_sender(clip), rules=["shot"], retention_s=retention_s
        ) as (_, stream):
            stream_id = stream.stream_id
            # Until the first frame kept is gone, then a window more.
            await wait_for(lambda: len(store.moments(stream_id)) >= 2, 60, "frames")
            await wait_for(lambda: store.moment(stream_id, 0) is None, 40, "frame 0 pruned")
            total = store.document(stream_id).frames_total
            checked_at = time.time()
            await stream.stop()
        return stream_id, total, checked_at

    stream_id, total, checked_at = asyncio.run(scenario())
    frames = store.moments(stream_id)
    assert frames and frames[0].seq > 0
    _assert_frames_whole(frames, first_seq=frames[0].seq)
    # Only windows with a newer window after them go: at most one window older than retention.
    window_s = stream_settings.stream_window_s
    assert frames[0].at >= checked_at - retention_s - 2 * window_s - 1
    # JPEGs went with their frames: none is older than the oldest frame kept.
    kept = jpegs(stream_settings, stream_id)
    assert kept and min(int(p.stem) for p in kept) == frames[0].seq
    assert len(kept) < store.document(stream_id).frames_total
    assert total >= 2
    assert all(e.at >= frames[0].at for e in store.stream_events(stream_id))


@pytest.mark.timeout(120)
def test_stop_is_clean_while_the_source_is_down(
    stream_settings: Settings, store: StreamStore, clip: ClipSpec
) -> None:
    async def scenario() -> tuple[str, float, WorkflowExecutionStatus | None]:
        async with sent_and_watched(stream_settings, udp_sender(clip)) as (sender, stream):
            stream_id, client = stream.stream_id, stream.client
            await wait_for(lambda: store.moments(stream_id), 60, "a frame")
            sender.kill()
            await _reconnecting(client, stream_id)
            asked = time.monotonic()
            await stream.stop()
            took = time.monotonic() - asked
            status = (await stream.handle.describe()).status
        return stream_id, took, status

    stream_id, took, status = asyncio.run(scenario())
    assert status == WorkflowExecutionStatus.COMPLETED
    # At most the window in progress, a connection attempt and a read timeout.
    limit = stream_settings.stream_window_s + stream_settings.stream_connect_timeout_s
    assert took < limit + stream_settings.stream_read_timeout_s + 3
    document = store.document(stream_id)
    assert document.status == "stopped" and document.error is None
    assert "no data" in document.source_error
    _assert_frames_whole(store.moments(stream_id))
