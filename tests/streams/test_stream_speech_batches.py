"""A live stream's speech without Temporal's server: batches of real WAV files of espeak-ng
speech transcribed by real Whisper tiny.en, a sentence cut by a window edge carried whole into
the next batch; the transcribe activity (in the SDK's activity environment) writing speech and
the events word rules raise; the store's range reads and retention of speech."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from speech_clips import RATE, espeak, sounding, track, word_error_rate
from videolens.pipeline.stream_shared import TranscribeStreamInput
from videolens.pipeline.stream_speech import StreamSpeechActivities
from videolens.speech import WhisperTranscriber
from videolens.streams.rules import evaluate_speech, parse_rules
from videolens.streams.speech import prune_speech, write_wav
from videolens.streams.speech_batches import transcribe_batch
from videolens.streams.store import StreamStore, iso
from videolens.streams.types import StreamAudioRef
from videolens.timeline.model import Moment, StreamDelivery, StreamEvent, StreamSpeechSegment

SENTENCE = "please bring the red box to the kitchen table"
T0 = 1_767_268_800.0  # 2026-01-01T12:00:00Z: the wall clock the audio sits on
LEAD_S = 1.0


def _said(store: StreamStore, stream_id: str, *range_at: float) -> list[dict[str, Any]]:
    """The stream's speech segments (``StreamStore.speech``) as JSON."""
    return [s.as_json() for s in store.speech(stream_id, *range_at)]


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhisperTranscriber]:
    transcriber = WhisperTranscriber("tiny.en", data_dir=tmp_path_factory.mktemp("data"))
    yield transcriber
    transcriber.close()


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, float]:
    """1 s of silence, the sentence, 1.5 s of silence; and when the sentence starts sounding."""
    voice = espeak(SENTENCE, tmp_path_factory.mktemp("wav"))
    first, _ = sounding(voice)
    duration = LEAD_S + voice.size / RATE + 1.5
    return track(duration, [(LEAD_S, voice)]), LEAD_S + first


def _files(folder: Path, audio: np.ndarray, cuts_s: list[float]) -> list[StreamAudioRef]:
    """``audio`` written as consecutive WAV files cut at ``cuts_s`` (as windows would)."""
    edges = [0, *(round(c * RATE) for c in cuts_s), audio.size]
    refs = []
    for start, end in itertools.pairwise(edges):
        path = folder / f"{int((T0 + start / RATE) * 1000):013d}.wav"
        write_wav(path, audio[start:end])
        refs.append(StreamAudioRef(str(path), T0 + start / RATE, T0 + end / RATE))
    return refs


def test_a_sentence_cut_by_a_window_edge_is_carried_and_comes_out_once_and_whole(
    whisper: WhisperTranscriber, spoken: tuple[np.ndarray, float], tmp_path: Path
) -> None:
    audio, starts_s = spoken
    # The first window ends in the middle of the sentence ("... red box | to the kitchen ...").
    first, second = _files(tmp_path, audio, [starts_s + 1.2])
    held = transcribe_batch([first], None, whisper)
    # Nothing of the sentence is committed: it is still being spoken when the window ends.
    assert held.segments == [] and held.carry == [first]
    assert held.carry_from is not None and held.carry_from <= T0 + starts_s
    rest = transcribe_batch([*held.carry, second], held.carry_from, whisper)
    [segment] = rest.segments
    assert word_error_rate(SENTENCE, segment.text) <= 0.2, segment.text
    assert segment.start_at == pytest.approx(T0 + starts_s, abs=0.5)
    assert rest.carry == [] and rest.carry_from is None  # silence at the end: nothing held
    # Without carrying (each window final), the edge cuts the sentence in two.
    cut = transcribe_batch([first], None, whisper, final=True)
    assert cut.segments and word_error_rate(SENTENCE, cut.segments[0].text) > 0.3


def test_the_last_batch_holds_nothing_and_gone_files_are_skipped(
    whisper: WhisperTranscriber, spoken: tuple[np.ndarray, float], tmp_path: Path
) -> None:
    audio, starts_s = spoken
    first, _ = _files(tmp_path, audio, [starts_s + 1.2])
    final = transcribe_batch([first], None, whisper, final=True)
    assert final.carry == [] and final.carry_from is None
    Path(first.path).unlink()  # pruned meanwhile
    assert transcribe_batch([first], None, whisper).segments == []


def test_audio_that_is_not_the_captures_wav_is_a_clear_error(
    whisper: WhisperTranscriber, tmp_path: Path
) -> None:
    junk = tmp_path / "0000000000000.wav"
    junk.write_bytes(b"not a wav file at all")
    with pytest.raises(ValueError, match=r"0000000000000\.wav is not a readable WAV file"):
        transcribe_batch([StreamAudioRef(str(junk), T0, T0 + 1)], None, whisper)


def _stream(store: StreamStore) -> str:
    document = store.create({"name": "cam", "url": "udp://127.0.0.1:1"}, {"url": "udp://x"})
    return document.stream_id


def test_the_activity_stores_speech_and_raises_word_events_with_the_frame_shown(
    whisper: WhisperTranscriber, spoken: tuple[np.ndarray, float], tmp_path: Path
) -> None:
    store = StreamStore(tmp_path / "streams")
    stream_id = _stream(store)
    audio, _ = spoken
    refs = _files(store.audio_dir(stream_id), audio, [])
    frame = Moment(seq=0, at=T0 + 0.5, at_iso=iso(T0 + 0.5), image="/x/0.jpg")
    store.write_moments(stream_id, "1767268800500-0000000000", [frame])
    activities = StreamSpeechActivities(store, lambda: whisper)
    request = TranscribeStreamInput(
        stream_id, batch=7, audio=refs, rules=["word:kitchen table", "word:exit", "person"]
    )
    result = ActivityEnvironment().run(activities.transcribe, request)
    [segment] = _said(store, stream_id)
    assert result.segments == 1 and result.model == "whisper-tiny.en"
    assert result.name == f"{int(segment['start_at'] * 1000):013d}-0000000007"
    assert segment["start_iso"].startswith("2026-01-01T12:00:0")
    [event] = store.stream_events(stream_id)
    assert result.event_ids == [event.event_id] == ["s000000007-0"]
    assert event.rule == "word:kitchen table" and event.source == "speech"
    assert event.kind == "word" and event.match == f"{segment['text']!r} said"
    assert event.at == segment["start_at"] and event.seq == 0
    assert result.rule_last_match == {"word:kitchen table": segment["start_at"]}
    # A retry writes the same file again: nothing doubles.
    ActivityEnvironment().run(activities.transcribe, request)
    assert len(_said(store, stream_id)) == 1 and len(store.stream_events(stream_id)) == 1
    found = store.find_event(stream_id, result.name, "s000000007-0")
    assert found is not None and found.as_json() == event.as_json()


def test_the_activity_refuses_audio_outside_the_streams_folder(
    whisper: WhisperTranscriber, tmp_path: Path
) -> None:
    store = StreamStore(tmp_path / "streams")
    stream_id = _stream(store)
    outside = tmp_path / "1767268800000.wav"
    write_wav(outside, np.zeros(RATE, np.float32))
    request = TranscribeStreamInput(stream_id, 1, [StreamAudioRef(str(outside), T0, T0 + 1)])
    activities = StreamSpeechActivities(store, lambda: whisper)
    with pytest.raises(ApplicationError, match="is not audio of stream") as raised:
        ActivityEnvironment().run(activities.transcribe, request)
    assert raised.value.non_retryable and raised.value.type == "SpeechUnavailable"


def test_word_rules_on_speech_match_whole_words_and_rearm() -> None:
    rules = parse_rules(["word:box", "car", "shot"])
    segments = [
        {"start_at": T0 + at, "start_iso": "", "end_at": T0 + at + 1, "text": text}
        for at, text in ((0, "The red box."), (3, "Boxes? A box!"), (20, "a boxer"), (30, "box"))
    ]
    last: dict[str, float] = {}
    spans = [StreamSpeechSegment.model_validate(s) for s in segments]
    events = evaluate_speech(rules, spans, last, batch=3, rearm_s=10)
    # Said again 3 s later: not a new appearance; "a boxer" is not the word "box".
    assert [(e.at - T0, e.event_id) for e in events] == [
        (0, "s000000003-0"),
        (30, "s000000003-1"),
    ]
    assert last == {"word:box": T0 + 30}


def test_speech_is_read_by_time_and_pruned_with_its_events_and_audio(tmp_path: Path) -> None:
    store = StreamStore(tmp_path / "streams")
    stream_id = _stream(store)
    for batch, at in ((1, 0.0), (2, 10.0), (3, 20.0)):
        segment = {"start_at": T0 + at, "end_at": T0 + at + 2, "text": f"line {batch}"}
        event = {"event_id": f"s{batch:09d}-0", "at": T0 + at, "seq": None}
        name = f"{int((T0 + at) * 1000):013d}-{batch:010d}"
        store.write_speech(
            stream_id,
            name,
            [StreamSpeechSegment.model_validate(segment)],
            [StreamEvent.model_validate(event)],
        )
        store.write_delivery(stream_id, f"s{batch:09d}-0", StreamDelivery(status="delivered"))
    for at in (0.0, 10.0, 20.0):
        write_wav(store.audio_dir(stream_id) / f"{int((T0 + at) * 1000):013d}.wav", np.zeros(8))
    assert [s["text"] for s in _said(store, stream_id, T0 + 5, T0 + 20)] == ["line 2"]
    assert [s["text"] for s in (s.as_json() for s in store.recent_speech(stream_id, 2))] == [
        "line 2",
        "line 3",
    ]
    assert [e.webhook and e.webhook.status for e in store.stream_events(stream_id)] == [
        "delivered"
    ] * 3
    assert prune_speech(store, stream_id, T0 + 15, audio_before_at=T0 + 20) == 1
    assert [s["text"] for s in _said(store, stream_id)] == ["line 2", "line 3"]
    assert [e.event_id for e in store.stream_events(stream_id)] == ["s000000002-0", "s000000003-0"]
    assert sorted(p.name for p in (store.stream_dir(stream_id) / "deliveries").iterdir()) == [
        "s000000002-0.json",
        "s000000003-0.json",
    ]
    # Audio still to be transcribed (from T0 + 20 on) stays; what is done with goes.
    assert [p.stem for p in store.audio_dir(stream_id).iterdir()] == [f"{int(T0 + 20)}000"]
