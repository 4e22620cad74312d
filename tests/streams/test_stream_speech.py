"""Speech of live streams, end to end: ffmpeg sends MPEG-TS over UDP of a generated clip whose
audio is espeak-ng speaking a known sentence; the real workflow on the Temporal dev server reads
it, transcribes it with Whisper tiny.en beside the frames, stores what was said on the wall
clock, fires ``word:`` rules on spoken words, and serves it through the real API, its WebSocket
and ``videolens watch``. A source without audio reports speech as ``none``; speech ``off`` in the
settings skips it."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from stream_helpers import poll, sent_and_watched, serving, wait_for
from stream_media import udp_sender

from process_helpers import VIDEOLENS, running, stdout_lines, stop, videolens_env
from speech_clips import SpeechClip, make_clip, word_error_rate
from videolens.config import Settings
from videolens.pipeline.temporal_server import free_port
from videolens.streams.store import StreamStore
from videolens.video.synthetic import ClipSpec

SENTENCE = "please bring the red box to the kitchen table"
SAID_AT_S, LOOP_S = 2.0, 8.0
# Frames carry the wall clock of the moment shown, a fraction of a second after ffmpeg starts;
# speech carries the same clock (plus Whisper's few hundred ms of imprecision at the start).
SAID_WITHIN_S = (-0.5, 2.5)


def _said(store: StreamStore, stream_id: str, *range_at: float) -> list[dict[str, Any]]:
    """The stream's speech segments (``StreamStore.speech``) as JSON."""
    return [s.as_json() for s in store.speech(stream_id, *range_at)]


async def _speech_reported(store: StreamStore, stream_id: str, status: str) -> None:
    """Back once the stream's speech has the status ``status``."""

    def reported() -> bool:
        speech = store.document(stream_id).speech
        return speech is not None and speech.status == status

    await wait_for(reported, 60, f"speech reported as {status}")


def _watched_until(
    settings: Settings,
    sending: AbstractContextManager[tuple[Any, str]],
    until: Callable[[str], Awaitable[object]],
) -> str:
    """The id of the stream of what ``sending`` sends, watched until ``until`` (given the stream's
    id) is done, then stopped."""

    async def scenario() -> str:
        async with sent_and_watched(settings, sending) as (_, stream):
            await until(stream.stream_id)
            await stream.stop()
        return stream.stream_id

    return asyncio.run(scenario())


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory: pytest.TempPathFactory) -> SpeechClip:
    """8 s, looped: grey video; the sentence spoken from 2 s (AAC, 48 kHz stereo)."""
    folder = tmp_path_factory.mktemp("speech-clip")
    return make_clip(folder / "said.mp4", LOOP_S, [(SAID_AT_S, SENTENCE)])


@pytest.fixture
def speech_settings(stream_settings: Settings) -> Settings:
    return stream_settings.model_copy(update={"speech": "auto"})


@contextmanager
def speaking(clip: SpeechClip) -> Iterator[tuple[float, str]]:
    """ffmpeg sending the clip (H.264 + AAC) as MPEG-TS to a free UDP port, in real time;
    yields when it started and the URL to read."""
    port = free_port()
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1"]
    args += ["-i", str(clip.path), "-c:v", "libx264", "-preset", "ultrafast"]
    args += ["-tune", "zerolatency", "-g", "12", "-c:a", "aac", "-f", "mpegts"]
    started_at = time.time()
    process = subprocess.Popen(
        [*args, f"udp://127.0.0.1:{port}?pkt_size=1316"], stdin=subprocess.DEVNULL
    )
    try:
        yield started_at, f"udp://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)


def _spoken_at(clip: SpeechClip, started_at: float, at: float) -> float:
    """When the sender began the sentence whose transcription starts at ``at``."""
    _, first_sound, _ = clip.speech[0]
    loops = round((at - started_at - first_sound) / LOOP_S)
    return started_at + first_sound + loops * LOOP_S


def _kitchen(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in segments if "kitchen" in s["text"].lower()]


@pytest.mark.timeout(150)
def test_spoken_words_are_stored_on_the_wall_clock_and_fire_word_rules(
    speech_settings: Settings, store: StreamStore, speech_clip: SpeechClip
) -> None:
    async def scenario() -> dict[str, Any]:
        watching = sent_and_watched(speech_settings, speaking(speech_clip), rules=["word:kitchen"])
        async with watching as (started_at, stream):
            stream_id = stream.stream_id
            said = await wait_for(lambda: _kitchen(_said(store, stream_id)), 60, "speech")
            seen_at = time.time()
            events = await wait_for(lambda: store.stream_events(stream_id), 10, "an event")
            # Twice said: the second time is transcribed on its own, not doubled.
            # Three, so that two stay whole between a first and a last that may be cut.
            await wait_for(lambda: len(_kitchen(_said(store, stream_id))) >= 3, 45, "again")
            await stream.stop(60)
        return {"id": stream_id, "said": said[0], "seen_at": seen_at, "started_at": started_at,
                "events": events}  # fmt: skip

    run = asyncio.run(scenario())
    said, stream_id = run["said"], run["id"]
    spoken_at = _spoken_at(speech_clip, run["started_at"], said["start_at"])
    print(
        f"said at +{spoken_at - run['started_at']:.2f} s → stored at "
        f"+{said['start_at'] - run['started_at']:.2f} s; on the store "
        f"{run['seen_at'] - (spoken_at + 2.7):.2f} s after the sentence ended"
    )
    low, high = SAID_WITHIN_S
    assert low <= said["start_at"] - spoken_at < high
    assert said["end_at"] > said["start_at"] + 1.5
    assert word_error_rate(SENTENCE, said["text"]) <= 0.3, said["text"]
    [event] = [e for e in run["events"] if e.rule == "word:kitchen"]
    assert event.kind == "word" and event.source == "speech"
    assert event.at == said["start_at"] and event.match == f"{said['text']!r} said"
    # Every sentence once and whole: the segments follow one another without overlapping (the
    # first and the last may be cut: watching began, or stopped, mid-sentence).
    segments = _said(store, stream_id)
    assert all(a["end_at"] <= b["start_at"] for a, b in itertools.pairwise(segments))
    inner = segments[1:-1] if segments[0]["start_at"] < said["start_at"] else segments[:-1]
    assert said in inner and len(inner) >= 2
    assert all(word_error_rate(SENTENCE, s["text"]) <= 0.3 for s in inner), segments
    document = store.document(stream_id)
    assert document.status == "stopped"
    speech = document.speech
    assert speech is not None and speech.status == "ok" and speech.model == "whisper-tiny.en"
    assert speech.segments == len(segments) and speech.error == ""
    assert document.latest_speech is not None and document.latest_speech.as_json() == segments[-1]
    assert document.events_total == len(store.stream_events(stream_id))
    # The WAV files were transcribed and are gone; the frames were described all along.
    assert not store.audio_dir(stream_id).exists()
    assert store.moments(stream_id)


@pytest.mark.timeout(150)
def test_speech_through_the_api_its_websocket_and_a_time_range(
    speech_settings: Settings, speech_clip: SpeechClip
) -> None:
    with speaking(speech_clip) as (_, url), serving(speech_settings) as api:

        async def scenario() -> dict[str, Any]:
            messages: list[dict[str, Any]] = []

            async def follow(stream_id: str) -> None:
                async with websockets.connect(f"{api.ws_url}/v1/streams/{stream_id}/ws") as ws:
                    async for raw in ws:
                        messages.append(json.loads(raw))
                        if messages[-1]["type"] == "final":
                            return

            async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
                created = await http.post("/v1/streams", json={"url": url, "rules": ["word:box"]})
                stream_id = created.json()["stream_id"]
                follower = asyncio.ensure_future(follow(stream_id))
                deadline = time.monotonic() + 60
                while not (said := _with_box(messages)):
                    assert time.monotonic() < deadline, "no speech pushed"
                    await asyncio.sleep(0.1)
                start = said["start_at"]
                ranged = await http.get(
                    f"/v1/streams/{stream_id}/speech",
                    params={"since": str(start), "until": str(start + 0.001)},
                )
                later = await http.get(
                    f"/v1/streams/{stream_id}/speech", params={"since": str(start + 0.001)}
                )
                bad = await http.get(f"/v1/streams/{stream_id}/speech", params={"since": "soon"})
                shown = (await http.get(f"/v1/streams/{stream_id}")).json()
                events = (await http.get(f"/v1/streams/{stream_id}/events")).json()["events"]
                await http.post(f"/v1/streams/{stream_id}/stop")
                await asyncio.wait_for(follower, 60)
                final = (await http.get(f"/v1/streams/{stream_id}/speech")).json()
            return locals()

        run = asyncio.run(scenario())
    said, ranged = run["said"], run["ranged"].json()
    assert said["start_iso"].endswith("+00:00") and said["end_at"] > said["start_at"]
    assert ranged["speech"]["status"] == "ok" and ranged["segments"] == [said]
    assert all(s["start_at"] > run["start"] for s in run["later"].json()["segments"])
    assert run["bad"].status_code == 422 and run["bad"].json()["error"]["field"] == "since"
    assert run["shown"]["speech"]["status"] == "ok"
    assert run["shown"]["links"]["speech"].endswith("/speech")
    assert said in run["shown"]["speech_timeline"]
    spoken = [e for e in run["events"] if e.get("source") == "speech"]
    assert spoken and spoken[0]["rule"] == "word:box"
    assert "image" not in spoken[0] and "image_url" in spoken[0]
    pushed_events = [e for m in run["messages"] if m["type"] == "events" for e in m["events"]]
    assert any(e.get("source") == "speech" for e in pushed_events)
    assert run["messages"][-1]["type"] == "final"
    assert run["final"]["speech"]["segments"] == len(run["final"]["segments"]) >= 1


def _with_box(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first segment pushed on the WebSocket in which "box" was said."""
    pushed = [s for m in messages if m["type"] == "speech" for s in m["speech"]]
    return next((s for s in pushed if "box" in s["text"].lower()), None)


@pytest.mark.timeout(120)
def test_a_source_without_audio_reports_speech_as_none(
    speech_settings: Settings, store: StreamStore, clip: ClipSpec
) -> None:
    stream_id = _watched_until(
        speech_settings,
        udp_sender(clip),  # ffmpeg -an: video only
        lambda stream_id: _speech_reported(store, stream_id, "none"),
    )
    document = store.document(stream_id)
    assert document.speech is not None and document.speech.status == "none"
    assert document.speech.reason == "the source sends no audio"
    assert document.latest_speech is None and _said(store, stream_id) == []
    assert store.moments(stream_id) and not store.audio_dir(stream_id).exists()


@pytest.mark.timeout(120)
def test_speech_off_in_the_settings_skips_it(
    stream_settings: Settings, store: StreamStore, speech_clip: SpeechClip
) -> None:
    assert stream_settings.speech == "off"
    stream_id = _watched_until(
        stream_settings,
        speaking(speech_clip),
        # Past the first sentence: it would have been transcribed by now.
        lambda stream_id: wait_for(lambda: len(store.moments(stream_id)) >= 4, 60, "frames"),
    )
    speech = store.document(stream_id).speech
    assert speech is not None and speech.status == "off"
    assert "VIDEOLENS_SPEECH=off" in (speech.reason or "")
    assert _said(store, stream_id) == [] and store.names(stream_id, "speech") == []
    assert not store.audio_dir(stream_id).exists()


@pytest.mark.timeout(120)
def test_a_transcriber_that_cannot_run_makes_speech_unavailable_not_the_stream_fail(
    speech_settings: Settings, store: StreamStore, speech_clip: SpeechClip
) -> None:
    settings = speech_settings.model_copy(update={"speech_model": "no-such-model"})

    async def unavailable_and_still_described(stream_id: str) -> None:
        await _speech_reported(store, stream_id, "unavailable")
        frames = len(store.moments(stream_id))
        await wait_for(lambda: len(store.moments(stream_id)) > frames, 30, "more frames")

    stream_id = _watched_until(settings, speaking(speech_clip), unavailable_and_still_described)
    document = store.document(stream_id)
    assert document.status == "stopped" and document.error is None
    assert document.speech is not None
    assert "unknown speech model 'no-such-model'" in (document.speech.reason or "")
    assert _said(store, stream_id) == [] and not store.audio_dir(stream_id).exists()


@pytest.mark.timeout(150)
def test_watch_prints_what_was_said(speech_clip: SpeechClip, tmp_path: Path) -> None:
    env = videolens_env(
        VIDEOLENS_DATA_DIR=str(tmp_path / "data"),
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()),
        VIDEOLENS_BACKEND="basic",
        VIDEOLENS_STREAM_WINDOW_S="2",
    )
    with (
        speaking(speech_clip) as (_, url),
        running([VIDEOLENS, "watch", url, "--rule", "word:kitchen", "--for", "100"], env) as watch,
        stdout_lines(watch) as lines,
    ):
        # Watching may begin mid-sentence, so the first sentence heard can be cut: the clip
        # loops, so wait for a whole one (and its event) as long as watch runs.
        poll(
            lambda: (
                (_heard_whole(lines) and any("said" in line for line in lines if "EVENT" in line))
                or watch.poll() is not None
            ),
            100,
            "the sentence heard whole, and a spoken word's event printed",
        )
        returncode, stderr = stop(watch, signal.SIGINT, timeout_s=60)
    assert returncode == 0, stderr
    assert _heard_whole(lines), lines
    assert any(
        re.match(r"\d\d:\d\d:\d\d  EVENT word:kitchen: '.*kitchen.*' said$", line, re.I)
        for line in lines
    ), lines
    assert "Traceback" not in stderr


def _heard_whole(lines: list[str]) -> bool:
    """Whether ``videolens watch`` printed the sentence as said, near enough word for word."""
    said = [m for line in lines if (m := re.match(r'\d\d:\d\d:\d\d  said: "(.*)"$', line))]
    return any(word_error_rate(SENTENCE, m.group(1)) <= 0.3 for m in said)
