"""The ``openai`` vision backend over real HTTP against the fake server (tests/openai_fake.py)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import SecretStr

from openai_fake import OpenAIFake
from videolens.backends import (
    BackendError,
    BackendRateLimitedError,
    BackendUnavailableError,
    FrameDescription,
    FrameInput,
    backend_class,
    backend_names,
)
from videolens.backends.openai_backend import NO_DESCRIPTION, UNREADABLE, OpenAIBackend
from videolens.config import Settings

KEY = "sk-vision-SECRET-42"
COLOURS = [(200, 40, 40), (30, 120, 200), (240, 220, 60), (20, 160, 60), (90, 90, 90)]


def _settings(fake: OpenAIFake | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "vision_base_url": fake.base_url if fake else None,
        "vision_model": "fake-vlm",
        "vision_api_key": SecretStr(KEY),
        "vision_frames_per_request": 3,
        "vision_max_concurrency": 2,
        "vision_timeout_s": 10.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def frames(tmp_path: Path) -> list[FrameInput]:
    """Eight JPEGs, each with its own size (the fake's reply names it) and colour."""
    made = []
    for i in range(8):
        path = tmp_path / f"frame_{i:03d}.jpg"
        Image.new("RGB", (40 + 8 * i, 30), COLOURS[i % len(COLOURS)]).save(path, quality=95)
        made.append(FrameInput(index=100 + i, timestamp_s=i * 1.5, path=str(path)))
    return made


def _size(frame: FrameInput) -> str:
    with Image.open(frame.path) as image:
        return f"{image.width}x{image.height}"


@pytest.fixture
def make_backend() -> Iterator[Any]:
    built: list[OpenAIBackend] = []

    def make(settings: Settings) -> OpenAIBackend:
        backend = OpenAIBackend.from_settings(settings)
        built.append(backend)
        return backend

    yield make
    for backend in built:
        backend.close()


def _assert_matches(descriptions: list[FrameDescription], frames: list[FrameInput]) -> None:
    """Each description is the fake's answer for that very frame, in the input order."""
    assert [d.index for d in descriptions] == [f.index for f in frames]
    for description, frame in zip(descriptions, frames, strict=True):
        assert description.description.startswith(f"a {_size(frame)} image, mean colour")
        assert description.text == [_size(frame)]


def test_several_frames_per_request(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    backend = make_backend(_settings(openai_fake, vision_max_concurrency=1))
    descriptions = backend.describe(frames)
    _assert_matches(descriptions, frames)
    first = descriptions[0]
    assert first.model == "openai:fake-vlm"
    assert first.objects == ["rectangle"]
    assert first.actions == ["nothing moves"]
    assert first.people == []
    assert first.extra == {}
    assert "(200, 40, 40)" in first.description
    requests = openai_fake.requests("chat")
    assert [len(r["images"]) for r in requests] == [3, 3, 2]
    assert [r["images"][0]["size"] for r in requests] == [[40, 30], [64, 30], [88, 30]]
    body = requests[0]["json"]
    assert body["model"] == "fake-vlm"
    assert body["temperature"] == 0.0
    assert body["max_tokens"] > 0
    assert requests[0]["headers"]["authorization"] == f"Bearer {KEY}"
    (message,) = body["messages"]
    parts = message["content"]
    assert [p["type"] for p in parts] == ["image_url"] * 3 + ["text"]
    assert all(p["image_url"]["url"].startswith("data:image/jpeg;base64,") for p in parts[:3])
    assert "3 images" in parts[3]["text"] and '"frames"' in parts[3]["text"]
    assert openai_fake.max_in_flight() == 1


def test_requests_run_concurrently_and_order_is_kept(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    # The first request the server sees is the slowest, so replies come back out of order.
    openai_fake.script(times=1, delay_s=0.6)
    openai_fake.script(delay_s=0.2)
    backend = make_backend(
        _settings(openai_fake, vision_frames_per_request=1, vision_max_concurrency=4)
    )
    assert backend.preferred_batch_size == 4
    started = time.monotonic()
    descriptions = backend.describe(frames)
    elapsed = time.monotonic() - started
    _assert_matches(descriptions, frames)
    assert len(openai_fake.requests("chat")) == 8
    assert 1 < openai_fake.max_in_flight() <= 4
    assert elapsed < 0.6 + 7 * 0.2  # serial requests would take at least this long


def test_a_frame_missing_from_the_reply(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    openai_fake.script(times=1, drop_frame=2)
    backend = make_backend(_settings(openai_fake, vision_max_concurrency=1))
    descriptions = backend.describe(frames[:5])
    missing = descriptions[1]
    assert missing.index == frames[1].index
    assert missing.description == NO_DESCRIPTION
    assert missing.model == "openai:fake-vlm"
    assert missing.extra["problems"] == ["no entry for frame 2"]
    others = [descriptions[i] for i in (0, 2, 3, 4)]
    _assert_matches(others, [frames[i] for i in (0, 2, 3, 4)])


def test_an_unreadable_frame_is_described_without_being_sent(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    gone = FrameInput(index=7, timestamp_s=0.0, path=str(Path(frames[0].path).with_name("no.jpg")))
    backend = make_backend(_settings(openai_fake, vision_max_concurrency=1))
    descriptions = backend.describe([frames[0], gone, frames[1]])
    assert descriptions[1].description == UNREADABLE
    assert descriptions[1].extra == {"readable": False}
    _assert_matches([descriptions[0], descriptions[2]], [frames[0], frames[1]])
    (request,) = openai_fake.requests("chat")
    assert len(request["images"]) == 2
    assert backend.describe([gone]) == [
        FrameDescription(
            index=7, description=UNREADABLE, model="openai:fake-vlm", extra={"readable": False}
        )
    ]
    assert len(openai_fake.requests("chat")) == 1  # nothing to send, nothing sent


def test_a_reply_wrapped_in_prose_and_fences(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    body = {
        "frames": [
            {"frame": 2, "description": "second", "objects": "bus"},
            {"frame": 1, "description": "first", "people": ["child"]},
        ]
    }
    openai_fake.script(times=1, reply_text=f"Sure!\n```json\n{json.dumps(body)}\n```")
    backend = make_backend(_settings(openai_fake, vision_frames_per_request=2))
    first, second = backend.describe(frames[:2])
    assert (first.description, first.people) == ("first", ["child"])
    assert (second.description, second.objects) == ("second", ["bus"])
    assert second.extra == {"problems": ["objects was a string; kept as one item"]}


def test_a_custom_prompt_is_sent(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    backend = make_backend(_settings(openai_fake, vision_prompt="Count the birds in {count}."))
    backend.describe(frames[:2])
    (request,) = openai_fake.requests("chat")
    text = request["json"]["messages"][0]["content"][-1]["text"]
    assert text.startswith("Count the birds in 2.")


def test_no_key_means_no_authorization_header(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    backend = make_backend(_settings(openai_fake, vision_api_key=None))
    backend.describe(frames[:1])
    (request,) = openai_fake.requests("chat")
    assert "authorization" not in request["headers"]


# --- errors ----------------------------------------------------------------------------------


def test_a_rejected_key_is_not_retryable(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    openai_fake.script(status=401, error_message=f"Incorrect API key provided: {KEY}")
    backend = make_backend(_settings(openai_fake))
    with pytest.raises(BackendUnavailableError) as caught:
        backend.describe(frames)
    assert "VIDEOLENS_VISION_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)


def test_a_rate_limit_carries_retry_after(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    openai_fake.script(status=429, retry_after="12")
    backend = make_backend(_settings(openai_fake))
    with pytest.raises(BackendRateLimitedError) as caught:
        backend.describe(frames)
    assert caught.value.retry_after_s == 12.0
    assert "429" in str(caught.value)


def test_a_server_error_is_retryable(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    openai_fake.script(times=1, status=500, error_message="CUDA out of memory")
    openai_fake.script(delay_s=0.3)  # the second request is still in flight when the first fails
    backend = make_backend(_settings(openai_fake, vision_max_concurrency=1))
    with pytest.raises(BackendError) as caught:
        backend.describe(frames)
    assert type(caught.value) is BackendError
    assert "500" in str(caught.value) and "CUDA out of memory" in str(caught.value)
    # Requests queued behind the failed one were not sent; the next call works again.
    assert len(openai_fake.requests("chat")) < 3
    _assert_matches(backend.describe(frames[:2]), frames[:2])


def test_a_bad_request_is_not_retryable(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    openai_fake.script(status=400, error_message="At most 2 image(s) may be provided")
    backend = make_backend(_settings(openai_fake))
    with pytest.raises(BackendUnavailableError, match="VIDEOLENS_VISION_FRAMES_PER_REQUEST"):
        backend.describe(frames)


def test_a_slow_server_times_out(
    openai_fake: OpenAIFake, frames: list[FrameInput], make_backend: Any
) -> None:
    openai_fake.script(delay_s=3.0)
    backend = make_backend(_settings(openai_fake, vision_timeout_s=0.3))
    started = time.monotonic()
    with pytest.raises(BackendError, match="did not answer") as caught:
        backend.describe(frames[:3])
    assert type(caught.value) is BackendError
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "behaviour",
    [
        {"malformed": True},  # the HTTP body is not JSON
        {"reply_text": "I'm sorry, I cannot see any images."},  # the model ignored the format
        {"reply_text": '{"frames": [{"frame": 1, "description": "cut o'},  # cut off mid-frame
    ],
)
def test_a_malformed_reply_is_retryable(
    openai_fake: OpenAIFake,
    frames: list[FrameInput],
    make_backend: Any,
    behaviour: dict[str, Any],
) -> None:
    openai_fake.script(times=1, **behaviour)
    backend = make_backend(_settings(openai_fake, vision_max_concurrency=1))
    with pytest.raises(BackendError) as caught:
        backend.describe(frames[:3])
    assert type(caught.value) is BackendError
    _assert_matches(backend.describe(frames[:3]), frames[:3])  # the retry succeeds


def test_an_unreachable_endpoint_is_retryable(frames: list[FrameInput], make_backend: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = _settings(None, vision_base_url=f"http://127.0.0.1:{port}/v1")
    backend = make_backend(settings)
    with pytest.raises(BackendError, match="cannot connect") as caught:
        backend.describe(frames[:1])
    assert type(caught.value) is BackendError


# --- configuration, availability, registry ------------------------------------------------------


def test_without_a_base_url_the_backend_is_unavailable() -> None:
    settings = _settings(None)
    with pytest.raises(BackendUnavailableError, match="VIDEOLENS_VISION_BASE_URL"):
        OpenAIBackend.from_settings(settings)
    availability = OpenAIBackend.availability(settings)
    assert not availability.available
    assert "VIDEOLENS_VISION_BASE_URL" in availability.reason


def test_a_base_url_without_scheme_is_unavailable() -> None:
    with pytest.raises(BackendUnavailableError, match="http://"):
        OpenAIBackend.from_settings(_settings(None, vision_base_url="localhost:8000/v1"))


def test_availability_asks_the_endpoint(openai_fake: OpenAIFake) -> None:
    assert OpenAIBackend.availability(_settings(openai_fake, vision_model="fake-model")).available
    listed = OpenAIBackend.availability(_settings(openai_fake, vision_model="other"))
    assert listed.available
    assert "does not list 'other'" in listed.reason
    requests = openai_fake.requests("models")
    assert len(requests) == 2
    assert requests[0]["headers"]["authorization"] == f"Bearer {KEY}"
    openai_fake.reset()
    openai_fake.script(times=1, status=401)
    refused = OpenAIBackend.availability(_settings(openai_fake))
    assert not refused.available
    assert "VIDEOLENS_VISION_API_KEY" in refused.reason


def test_availability_gives_up_after_two_seconds(openai_fake: OpenAIFake) -> None:
    openai_fake.script(times=1, delay_s=3.0)
    started = time.monotonic()
    availability = OpenAIBackend.availability(_settings(openai_fake))
    assert time.monotonic() - started < 2.8
    assert not availability.available
    assert "did not answer within 2 s" in availability.reason


def test_registered_as_openai() -> None:
    assert "openai" in backend_names()
    assert backend_class("openai") is OpenAIBackend
