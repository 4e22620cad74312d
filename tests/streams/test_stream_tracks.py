"""A live stream's tracks come from the same detection pass, tracker and stitching as a video's,
window by window: walkers cut out of vtest.avi cross its empty street at known times
(``tests/tracking/scene.py``), and the stream counts them, times their entries on the wall clock
and keeps a walker's track across window boundaries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
from stream_helpers import wait_for, watched_stream
from stream_media import Sender
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from openai_fake import fake_settings
from real_media import opencv_data_file
from tracking.scene import CutOut, Image, Walk, street_and_walkers, write_scene
from videolens.chat.answer import final_answer, prepare_answer, run_answer
from videolens.chat.live_timeline import AskedRange
from videolens.chat.sources import StreamSource
from videolens.config import Settings
from videolens.pipeline.stream_client import StreamRequest
from videolens.pipeline.stream_shared import TrackStreamInput
from videolens.pipeline.temporal_server import free_port
from videolens.pipeline.tracking_activities import OVERLAP_S, TrackingActivities
from videolens.store import SessionStore
from videolens.streams.pass_clip import PassClipWriter
from videolens.streams.retention import prune
from videolens.streams.store import StreamStore
from videolens.streams.tracks import TRACKS, clips_dir, stream_tracks, window_tracks
from videolens.streams.types import PassClipRef, window_name
from videolens.timeline.clock import resolve_zone
from videolens.timeline.model import Moment, Track
from videolens.tracking import detector_missing_reason
from videolens.video.synthetic import ClipSpec

ENTRY_WITHIN_S = 1.0
WINDOW_S = 4.0
LIVE_WINDOW_S = 6.0
"""The live test's windows: fewer boundaries, each with its overlap detected again, so that
the pass keeps up with the stream on a loaded machine."""
FPS = 2.0
UTC = resolve_zone("UTC")
HOUR = 1_800_000_000.0  # 08:00:00 UTC


@dataclass(frozen=True)
class Crossing:
    """A walker who comes in over the frame's edge at ``enters_s`` (half of them in view)."""

    enters_s: float
    walk: Walk


def crossings(people: list[CutOut], after_s: float = 0.0) -> list[Crossing]:
    """Three walkers, entering ``after_s`` plus 1 s, 3 s and 5.5 s; the first is in view across
    the window boundaries at 4 s and 8 s. The street is 768 px wide."""
    a, b, c = people[0], people[1], people[3]
    paths = [
        (a, 1.0, 9.0, (-_half(a), 250), (700, 250)),
        (b, 3.0, 11.0, (768 - _half(b), 330), (-40, 330)),
        (c, 5.5, 13.5, (-_half(c), 200), (700, 200)),
    ]
    return [
        Crossing(after_s + start, Walk(person, after_s + start, after_s + end, begin, finish))
        for person, start, end, begin, finish in paths
    ]


def _half(person: CutOut) -> int:
    return person.mask.shape[1] // 2


@pytest.fixture(scope="module")
def street_and_people() -> tuple[Image, list[CutOut]]:
    reason = detector_missing_reason()
    if reason:
        pytest.skip(reason)
    street, people = street_and_walkers(opencv_data_file("vtest.avi"), count=5)
    assert len(people) == 5
    return street, people


def people_tracks(tracks: list[Track] | None) -> list[Track]:
    assert tracks is not None
    return sorted((t for t in tracks if t.label == "person"), key=lambda t: t.first_s)


@pytest.mark.timeout(300)
def test_window_by_window_a_stream_counts_walkers_and_times_their_entries(
    tmp_path: Path, street_and_people: tuple[Image, list[CutOut]]
) -> None:
    """The reader's side without a network: the scene's decoded frames reach the pass clips at
    known wall-clock times (``T0`` + their time in the clip), each window's clip is passed by
    the real activity, stitched onto the windows before."""
    street, people = street_and_people
    walks = crossings(people)
    clip = tmp_path / "street.mp4"
    write_scene(clip, street, [c.walk for c in walks], duration_s=16.0)
    store = StreamStore(tmp_path / "streams")
    stream_id = store.create({"name": "street", "url": "udp://127.0.0.1:1"}, {}).stream_id
    writer = PassClipWriter(clips_dir(store, stream_id), FPS, OVERLAP_S)
    activities = TrackingActivities(SessionStore(tmp_path / "sessions"), store)
    t0 = HOUR - 4.75  # the clock's hour turns between the second walker's entry and the third's
    windows: list[str] = []
    described: list[Moment] = []  # a frame a second, as the sampler keeps them on a quiet street

    def close_window() -> None:
        ref = writer.finish()
        assert ref is not None
        name = window_name(described[0].at or 0.0, described[0].seq or 0)
        store.write_moments(
            stream_id, name, [m.model_copy(update={"window": name}) for m in described]
        )
        ActivityEnvironment().run(
            activities.track_stream_window, TrackStreamInput(stream_id, name, ref)
        )
        assert not Path(ref.path).exists()  # the clip goes once its pass is stored
        windows.append(name)
        described.clear()

    with av.open(str(clip)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            at = t0 + float(frame.time)
            if described and at - (described[0].at or 0.0) >= WINDOW_S:
                close_window()
            if number % 10 == 0:
                described.append(Moment(seq=number // 10, at=at, description="A street."))
            writer.offer(at, frame)
        close_window()

    walkers = people_tracks(stream_tracks(store, stream_id, None, None))
    assert len(walkers) == len(walks), [(t.first_s - t0, t.last_s - t0) for t in walkers]
    for crossing, track in zip(walks, walkers, strict=True):
        assert abs(track.first_s - (t0 + crossing.enters_s)) <= ENTRY_WITHIN_S, track
    # The first walker, in view from 1 s to 9 s, is one track in three windows.
    first = walkers[0]
    assert first.last_s - t0 >= 8.0
    holding = [
        name
        for name in windows
        if any(t.track_id == first.track_id for t in window_tracks_of(store, stream_id, name))
    ]
    assert holding == windows[:3]

    now = t0 + 20
    settings = fake_settings(tmp_path)
    entered = offline_answer(settings, store, stream_id, "When did a person enter?", now)
    times = [UTC.local(t.first_s).strftime("%H:%M:%S") for t in walkers]
    assert "3 people entered" in entered and all(f"- at {t}," in entered for t in times), entered
    distinct = offline_answer(
        settings, store, stream_id, "How many different people passed in the last hour?", now
    )
    assert "3 different people" in distinct, distinct
    assert "Per hour: 07:00\u201308:00 2, 08:00\u201309:00 3." in distinct, distinct

    # Retention takes a window's tracks with it; what later windows saw of a track stays.
    prune(store, stream_id, t0 + 2 * WINDOW_S)
    assert store.names(stream_id, TRACKS) == windows[2:]
    kept = people_tracks(stream_tracks(store, stream_id, None, None))
    assert [t.track_id for t in kept] == [t.track_id for t in walkers]


def window_tracks_of(store: StreamStore, stream_id: str, name: str) -> list[Track]:
    seen = window_tracks(store, stream_id, name)
    assert seen is not None
    return seen.tracks


def offline_answer(
    settings: Settings, store: StreamStore, stream_id: str, question: str, now: float | None = None
) -> str:
    """The answer without a chat model, asked in UTC at ``now`` (None: now), the path the API
    and the CLI take."""
    source = StreamSource.load(store, stream_id, question, AskedRange(UTC, now))
    return final_answer(run_answer(settings, prepare_answer(settings, source, question))).text


@pytest.mark.timeout(480)
def test_a_live_stream_gets_tracks_and_answers_from_them(
    stream_settings: Settings,
    store: StreamStore,
    tmp_path: Path,
    street_and_people: tuple[Image, list[CutOut]],
) -> None:
    """ffmpeg plays the scene over UDP in real time; the stream's workflow runs the pass over
    each window beside describing it. The walkers come in 3 s later than in the test above, so
    the stream has been watching for a while when the first arrives; after them the clip shows
    the empty street for 90 s, so they are not seen twice (ffmpeg loops it) before the test
    stops."""
    street, people = street_and_people
    walks = crossings(people, after_s=3.0)
    path = tmp_path / "street.mp4"
    write_scene(path, street, [c.walk for c in walks], duration_s=104.0)
    clip = ClipSpec(path, (), 10, street.shape[1], street.shape[0])
    settings = stream_settings.model_copy(
        update={
            "tracking": True,
            "stream_window_s": LIVE_WINDOW_S,
            "stream_connect_timeout_s": 20.0,
        }
    )
    port = free_port()
    url = f"udp://127.0.0.1:{port}"

    async def scenario() -> tuple[str, float]:
        async with watched_stream(settings, StreamRequest(url=url)) as stream:
            # Sent once the stream listens, so it sees the clip from its start.
            sender = Sender(clip, ["-f", "mpegts", f"{url}?pkt_size=1316"])
            sender.start()
            try:
                until = sender.started_at + 21.0  # the walkers are gone by 16.5 s

                def passed() -> bool:
                    names = store.names(stream.stream_id, TRACKS)
                    return bool(names) and int(names[-1][:13]) / 1000 >= until

                await wait_for(passed, 120, "the pass over the walkers' windows")
                await stream.stop(180)
            finally:
                sender.kill()
            return stream.stream_id, sender.started_at

    stream_id, started_at = asyncio.run(scenario())
    walkers = people_tracks(stream_tracks(store, stream_id, None, None))
    assert len(walkers) == len(walks), [(t.first_s - started_at, t.last_s) for t in walkers]
    # The stream's clock is the sender's plus how long ffmpeg took to start and the packets to
    # arrive: the same for every walker, so the entries keep their spacing.
    offsets = [t.first_s - (started_at + c.enters_s) for c, t in zip(walks, walkers, strict=True)]
    assert max(offsets) - min(offsets) <= ENTRY_WITHIN_S, offsets
    assert min(offsets) >= -ENTRY_WITHIN_S and max(offsets) <= 3.0, offsets
    spanning = [t for t in walkers if t.last_s - t.first_s >= LIVE_WINDOW_S + 1]
    assert spanning, walkers  # kept across at least one window boundary
    # Moments are counted from the tracks alive then: while the first two walkers are both in
    # view (from the second's entry to the first's exit), a frame shows two people.
    both_from, both_until = walks[1].enters_s + 1.5, walks[0].walk.to_s - 1.5
    frames = store.moments(stream_id, started_at + both_from, started_at + both_until)
    assert frames and all((f.people_count or 0) >= 1 for f in frames)
    assert any(f.people_count == 2 for f in frames), [(f.at, f.people_count) for f in frames]

    distinct = offline_answer(
        settings, store, stream_id, "How many different people passed in the last hour?"
    )
    assert f"{len(walks)} different people" in distinct and "in the last hour" in distinct, distinct
    entered = offline_answer(settings, store, stream_id, "When did a person enter?")
    first_at = UTC.local(walkers[0].first_s).strftime("%H:%M:%S")
    assert "3 people entered" in entered and f"- at {first_at}," in entered, entered


def test_a_window_whose_clip_is_gone_or_cut_short_gets_no_pass(tmp_path: Path) -> None:
    """A stream stopped mid-window (Ctrl-C on `videolens watch`) can leave its last clip
    unwritten or cut short: that window has no pass, the stream does not fail (the workflow
    counts the window from its moments when the pass fails for good)."""
    store = StreamStore(tmp_path / "streams")
    stream_id = store.create({"name": "street", "url": "udp://127.0.0.1:1"}, {}).stream_id
    activities = TrackingActivities(SessionStore(tmp_path / "sessions"), store)
    window = window_name(HOUR, 0)

    gone = PassClipRef(str(tmp_path / "gone.mkv"), FPS, 0, 0, 8)
    result = ActivityEnvironment().run(
        activities.track_stream_window, TrackStreamInput(stream_id, window, gone)
    )
    assert (result.chunk, result.frames) == ("", 0)

    if detector_missing_reason():
        pytest.skip(detector_missing_reason())
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(64))  # a Matroska header, then nothing
    with pytest.raises(ApplicationError) as failed:
        ActivityEnvironment().run(
            activities.track_stream_window,
            TrackStreamInput(stream_id, window, PassClipRef(str(cut), FPS, 0, 0, 8)),
        )
    assert failed.value.non_retryable
