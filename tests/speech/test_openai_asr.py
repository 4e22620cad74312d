"""The OpenAI-compatible transcription client against a fake server over real HTTP."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
from asr_fake import FakeASR

from speech_clips import SpeechClip
from videolens.errors import ConfigurationError
from videolens.openai_compat import (
    EndpointAuthError,
    EndpointRateLimitError,
    EndpointReplyError,
    EndpointServerError,
    EndpointUnreachableError,
)
from videolens.speech import OpenAITranscriber, decode_audio, transcribe_range


def test_segments_come_back_on_the_video_timeline(asr: FakeASR, two_sentences: SpeechClip) -> None:
    client = OpenAITranscriber(asr.base_url, "whisper-large-v3", "sk-test-123", language="en")
    samples = decode_audio(two_sentences.path, 1.0, 14.0)
    segments = client.transcribe(samples, offset_s=1.0)
    assert [s.text for s in segments] == ["sound 1", "sound 2"]
    for segment, (_, start, end) in zip(segments, two_sentences.speech, strict=True):
        assert segment.start_s == pytest.approx(start, abs=0.05)
        assert segment.end_s == pytest.approx(end, abs=0.1)
        assert segment.language == "en"
    (request,) = asr.requests
    assert request["model"] == "whisper-large-v3"
    assert request["response_format"] == "verbose_json"
    assert request["language"] == "en"
    assert request["authorization"] == "Bearer sk-test-123"
    assert request["filename"] == "audio.wav"
    audio = request["audio"]
    assert (audio["rate"], audio["channels"], audio["width"]) == (16000, 1, 2)
    assert audio["seconds"] == pytest.approx(13.0, abs=0.01)
    client.close()


def test_a_range_of_a_video_through_the_endpoint(asr: FakeASR, two_sentences: SpeechClip) -> None:
    with_progress: list[float] = []
    client = OpenAITranscriber(asr.base_url)
    segments = transcribe_range(two_sentences.path, 0.0, 14.0, client, with_progress.append)
    assert len(segments) == 2 and with_progress[-1] == pytest.approx(14.0, abs=0.1)
    assert "language" not in asr.requests[0]  # detected by the server when not set


def test_audio_without_speech_is_never_sent(asr: FakeASR, tones_clip: Path) -> None:
    client = OpenAITranscriber(asr.base_url)
    assert client.transcribe(decode_audio(tones_clip), 0.0) == []
    assert client.transcribe(np.zeros(16000, dtype=np.float32), 0.0) == []
    assert asr.requests == []


def test_a_wrong_key_is_an_auth_error_that_does_not_leak_it(
    asr: FakeASR, two_sentences: SpeechClip
) -> None:
    asr.api_key = "sk-right-key"
    client = OpenAITranscriber(asr.base_url, api_key="sk-wrong-key-42")
    with pytest.raises(EndpointAuthError) as caught:
        client.transcribe(decode_audio(two_sentences.path, 1.0, 6.0), 0.0)
    assert "VIDEOLENS_SPEECH_API_KEY" in str(caught.value)
    assert "sk-wrong-key-42" not in str(caught.value)


@pytest.mark.parametrize(
    ("rule", "error", "words"),
    [
        ({"status": 500}, EndpointServerError, "HTTP 500"),
        ({"status": 429, "retry_after": "3"}, EndpointRateLimitError, "retry after 3 s"),
        ({"body": "<html>oops"}, EndpointReplyError, "not JSON"),
        ({"json": {"text": "hi"}}, EndpointReplyError, "verbose_json"),
        ({"json": {"text": "hi", "segments": [{"text": "x"}]}}, EndpointReplyError, "start"),
    ],
)
def test_server_failures_are_endpoint_errors(
    asr: FakeASR,
    two_sentences: SpeechClip,
    rule: dict[str, object],
    error: type[Exception],
    words: str,
) -> None:
    asr.script.append(rule)
    client = OpenAITranscriber(asr.base_url)
    with pytest.raises(error, match=words):
        client.transcribe(decode_audio(two_sentences.path, 1.0, 6.0), 0.0)
    assert len(asr.requests) == 1  # no retry inside the client


def test_an_unreachable_endpoint(two_sentences: SpeechClip) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    client = OpenAITranscriber(f"http://127.0.0.1:{port}/v1", timeout_s=5)
    with pytest.raises(EndpointUnreachableError, match="cannot connect"):
        client.transcribe(decode_audio(two_sentences.path, 1.0, 6.0), 0.0)


def test_a_base_url_without_a_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="VIDEOLENS_SPEECH_BASE_URL"):
        OpenAITranscriber("127.0.0.1:8000/v1")
