"""The ``auto`` backend: which backend it picks, and falling back when the local model fails."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from openai_fake import OpenAIFake, fake_settings
from videolens.backends import (
    Availability,
    BackendUnavailableError,
    FrameDescription,
    FrameInput,
    VisionBackend,
    backend_class,
)
from videolens.backends.basic import BasicBackend
from videolens.backends.qwen import GpuOutOfMemoryError, QwenBackend
from videolens.backends.routing import FallbackBackend, resolve_backend_name
from videolens.config import Settings

MISSING_MODEL = "videolens-tests/no-such-model"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return fake_settings(tmp_path, **{"qwen_model": MISSING_MODEL, **overrides})


def write_frames(directory: Path, count: int = 2) -> list[FrameInput]:
    frames = []
    for index in range(count):
        path = directory / f"frame-{index}.jpg"
        Image.new("RGB", (64 + 16 * index, 48), (200, 40 * index, 40)).save(path)
        frames.append(FrameInput(index=index, timestamp_s=float(index), path=str(path)))
    return frames


class ScriptedBackend(VisionBackend):
    """A primary that fails as told, counting its calls."""

    NAME = "scripted"

    def __init__(self, *failures: Exception | None) -> None:
        self.failures = list(failures)
        self.calls = 0
        self.closed = 0

    def describe(
        self, frames: Sequence[FrameInput], prompt: str | None = None
    ) -> list[FrameDescription]:
        self.calls += 1
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        return [FrameDescription(f.index, "scripted", model="scripted-model") for f in frames]

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def qwen_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QwenBackend, "availability", classmethod(lambda cls, s: Availability(True)))


def test_auto_prefers_the_local_gpu_model(tmp_path: Path, qwen_runs_here: None) -> None:
    settings = make_settings(tmp_path, vision_base_url="http://127.0.0.1:9/v1")
    assert resolve_backend_name(settings) == "qwen"


def test_auto_uses_the_endpoint_without_a_local_model(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, vision_base_url="http://127.0.0.1:9/v1")
    assert not QwenBackend.availability(settings).available  # no weights (and here no GPU)
    assert resolve_backend_name(settings) == "openai"


def test_auto_falls_back_to_the_offline_analyzer(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert resolve_backend_name(settings) == "basic"
    backend = backend_class("auto").from_settings(settings)
    assert isinstance(backend, FallbackBackend)
    assert isinstance(backend.primary, BasicBackend)
    assert backend.fallback is None
    assert FallbackBackend.availability(settings) == Availability(True, "uses basic")


def test_a_local_model_that_cannot_load_hands_the_batch_to_the_fallback(tmp_path: Path) -> None:
    loads = []

    def loader(settings: Settings) -> Any:
        loads.append(settings)
        raise BackendUnavailableError("weights not downloaded: run `videolens models pull qwen`")

    primary = QwenBackend(make_settings(tmp_path), model_loader=loader)
    backend = FallbackBackend(primary, BasicBackend(ocr=False))
    frames = write_frames(tmp_path)

    for _ in range(2):
        descriptions = backend.describe(frames)
        assert [d.index for d in descriptions] == [0, 1]
        assert all(d.model == "basic" for d in descriptions)
        assert all("videolens models pull qwen" in d.extra["fallback_reason"] for d in descriptions)
    assert len(loads) == 1, "after a failed load, later batches go straight to the fallback"
    assert backend.preferred_batch_size == BasicBackend(ocr=False).preferred_batch_size


def test_the_cloud_endpoint_describes_the_batch_when_the_local_model_fails(
    tmp_path: Path, openai_fake: OpenAIFake, qwen_runs_here: None
) -> None:
    settings = make_settings(
        tmp_path, vision_base_url=openai_fake.base_url, vision_model="fake-model"
    )
    backend = backend_class("auto").from_settings(settings)
    assert isinstance(backend, FallbackBackend)
    assert isinstance(backend.primary, QwenBackend)
    assert backend.fallback is not None
    assert backend.fallback.NAME == "openai"
    frames = write_frames(tmp_path)
    try:
        descriptions = backend.describe(frames)  # qwen's weights are missing: cannot load
    finally:
        backend.close()
    assert [d.model for d in descriptions] == ["openai:fake-model"] * 2
    assert descriptions[0].description.startswith("a 64x48 image")
    assert descriptions[1].description.startswith("a 80x48 image")
    assert "qwen" in descriptions[0].extra["fallback_reason"]
    assert "videolens models pull qwen" in descriptions[0].extra["fallback_reason"]


def test_out_of_memory_falls_back_for_that_batch_only(tmp_path: Path) -> None:
    primary = ScriptedBackend(GpuOutOfMemoryError("out of GPU memory describing a single frame"))
    backend = FallbackBackend(primary, BasicBackend(ocr=False))
    frames = write_frames(tmp_path)

    first = backend.describe(frames)
    second = backend.describe(frames)

    assert [d.model for d in first] == ["basic", "basic"]
    assert "out of GPU memory" in first[0].extra["fallback_reason"]
    assert [d.model for d in second] == ["scripted-model", "scripted-model"]
    assert "fallback_reason" not in second[0].extra
    assert primary.closed == 0


def test_without_a_fallback_the_primary_error_propagates(tmp_path: Path) -> None:
    frames = write_frames(tmp_path)
    unavailable = FallbackBackend(ScriptedBackend(BackendUnavailableError("no GPU")))
    with pytest.raises(BackendUnavailableError, match="no GPU"):
        unavailable.describe(frames)
    oom = FallbackBackend(ScriptedBackend(GpuOutOfMemoryError("out of GPU memory")))
    with pytest.raises(GpuOutOfMemoryError):
        oom.describe(frames)


def test_a_failed_primary_is_closed_to_free_its_memory(tmp_path: Path) -> None:
    primary = ScriptedBackend(BackendUnavailableError("out of GPU memory loading the model"))
    backend = FallbackBackend(primary, BasicBackend(ocr=False))
    backend.describe(write_frames(tmp_path, 1))
    assert primary.closed == 1
    backend.close()
    assert primary.closed == 2
