"""The qwen backend on a CPU: a tiny random Qwen2.5-VL saved to disk, loaded the real way.

The model is built from a config in the test (no downloads) and saved with ``save_pretrained``,
so the backend goes through ``from_pretrained(local_files_only=True)``, the image-only
processor, left-padded batched ``generate`` and decoding of the new tokens only.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from videolens.backends import (
    Availability,
    BackendUnavailableError,
    FrameInput,
    backend_class,
)
from videolens.backends.qwen import GpuOutOfMemoryError, QwenBackend, loading
from videolens.backends.qwen import backend as backend_module
from videolens.backends.qwen.batching import AdaptiveBatchSize, batch_size_for_free_memory
from videolens.backends.qwen.gpu_stats import gpu_stats
from videolens.backends.qwen.synthetic import save_random_model
from videolens.config import Settings

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

GIB = 1024**3
SIZES = ((56, 56), (112, 84), (84, 112))
COLOURS = ((220, 30, 30), (30, 200, 40), (20, 40, 230))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_random_model(tmp_path_factory.mktemp("qwen") / "tiny-qwen2.5-vl")


def qwen_settings(tmp_path: Path, model: Path | str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "qwen_model": str(model),
        "qwen_max_new_tokens": 6,
        "qwen_min_pixels": 28 * 28,
        "qwen_max_pixels": 112 * 112,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def write_frames(directory: Path, sizes: tuple[tuple[int, int], ...] = SIZES) -> list[FrameInput]:
    frames = []
    for index, ((width, height), colour) in enumerate(zip(sizes, COLOURS, strict=False)):
        path = directory / f"frame-{index}.jpg"
        Image.new("RGB", (width, height), colour).save(path)
        frames.append(FrameInput(index=index * 10, timestamp_s=float(index), path=str(path)))
    return frames


class GenerateSpy:
    """A model loader that records the keyword arguments of every ``generate`` call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, settings: Settings) -> loading.LoadedModel:
        loaded = loading.load_model(settings)
        generate = loaded.model.generate

        def spy(**kwargs: Any) -> Any:
            self.calls.append(kwargs)
            return generate(**kwargs)

        loaded.model.generate = spy
        return loaded


def test_a_batch_of_differently_sized_frames_is_left_padded_and_kept_in_order(
    tmp_path: Path, model_dir: Path
) -> None:
    frames = write_frames(tmp_path)
    settings = qwen_settings(tmp_path, model_dir)
    spy = GenerateSpy()
    batched = QwenBackend(settings, model_loader=spy)

    descriptions = batched.describe(frames)

    assert [d.index for d in descriptions] == [0, 10, 20]
    assert all(d.model == f"qwen:{model_dir}" for d in descriptions)
    (call,) = spy.calls  # the three frames went through the model together
    mask = call["attention_mask"]
    assert mask.shape[0] == 3
    assert bool((mask[:, -1] == 1).all()), "every row ends at the same place: left padding"
    assert int(mask[0, 0]) == 0, "the smallest frame has the fewest tokens, so it is padded"
    assert call["image_grid_thw"].tolist() == [[1, 4, 4], [1, 6, 8], [1, 8, 6]]
    assert "mm_token_type_ids" in call
    assert batched.loaded is not None
    assert batched.loaded.processor.tokenizer.padding_side == "left"
    assert (batched.loaded.dtype, batched.loaded.attention) == ("float32", "sdpa")
    assert batched.preferred_batch_size == 4  # the CPU default once loaded
    assert batched.stats["batch_frames"] == 3
    assert batched.stats["frames_per_s"] > 0

    # One frame at a time, greedy decoding gives the same replies: padding changed nothing
    # and each reply holds only the generated tokens, never the prompt.
    single = QwenBackend(settings, batch_size=1).describe(frames)
    assert [d.description for d in single] == [d.description for d in descriptions]
    assert not any("Reply with JSON" in d.description for d in descriptions)


def test_frames_are_resized_within_the_pixel_bounds_and_unreadable_ones_described(
    tmp_path: Path, model_dir: Path
) -> None:
    frames = write_frames(tmp_path, ((448, 448), (20, 20)))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    frames.append(FrameInput(index=99, timestamp_s=9.0, path=str(broken)))
    settings = qwen_settings(tmp_path, model_dir, qwen_min_pixels=56 * 56, qwen_max_pixels=56 * 56)
    spy = GenerateSpy()

    descriptions = QwenBackend(settings, model_loader=spy).describe(frames)

    (call,) = spy.calls
    assert call["image_grid_thw"].tolist() == [[1, 4, 4], [1, 4, 4]]  # 448 px down, 20 px up
    assert [d.index for d in descriptions] == [0, 10, 99]
    assert descriptions[2].description == backend_module.UNREADABLE


def test_bfloat16_runs_the_same_path(tmp_path: Path, model_dir: Path) -> None:
    backend = QwenBackend(qwen_settings(tmp_path, model_dir, qwen_dtype="bfloat16"))
    descriptions = backend.describe(write_frames(tmp_path)[:2])
    assert len(descriptions) == 2
    assert backend.loaded is not None
    assert backend.loaded.model.dtype == torch.bfloat16


@pytest.mark.parametrize(
    ("setting", "cuda", "bf16", "expected"),
    [
        ("auto", True, True, "bfloat16"),
        ("auto", True, False, "float16"),
        ("auto", False, False, "float32"),
        ("float16", True, True, "float16"),
        ("bfloat16", False, False, "bfloat16"),
    ],
)
def test_dtype_choice(setting: str, cuda: bool, bf16: bool, expected: str) -> None:
    assert loading.choose_dtype(setting, cuda=cuda, bf16_supported=bf16) == expected


@pytest.mark.parametrize("mode", ["4bit", "8bit"])
def test_quantization_without_cuda_says_it_needs_a_gpu(
    tmp_path: Path, model_dir: Path, mode: str
) -> None:
    backend = QwenBackend(qwen_settings(tmp_path, model_dir, qwen_quantization=mode))
    with pytest.raises(BackendUnavailableError, match="needs a CUDA GPU"):
        backend.describe(write_frames(tmp_path)[:1])
    assert backend.loaded is None


def test_quantization_without_bitsandbytes_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loading, "_installed", lambda module: module != "bitsandbytes")
    with pytest.raises(BackendUnavailableError, match=r'pip install -e "\.\[gpu\]"'):
        loading.quantization_config("4bit", cuda=True)


def test_quantization_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "_installed", lambda module: True)
    assert loading.quantization_config("none", cuda=True) is None
    nf4 = loading.quantization_config("4bit", cuda=True)
    assert nf4 is not None
    assert nf4.load_in_4bit
    assert nf4.bnb_4bit_quant_type == "nf4"
    assert nf4.bnb_4bit_use_double_quant
    assert nf4.bnb_4bit_compute_dtype == torch.float16
    eight = loading.quantization_config("8bit", cuda=True)
    assert eight is not None
    assert eight.load_in_8bit


def test_flash_attention_only_when_installed_on_a_gpu_in_half_precision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loading, "_installed", lambda module: module != "flash_attn")
    assert loading.attention_implementation(cuda=True, dtype="bfloat16") == "sdpa"
    monkeypatch.setattr(loading, "_installed", lambda module: True)
    assert loading.attention_implementation(cuda=True, dtype="bfloat16") == "flash_attention_2"
    assert loading.attention_implementation(cuda=True, dtype="float32") == "sdpa"
    assert loading.attention_implementation(cuda=False, dtype="float16") == "sdpa"


@pytest.mark.parametrize("model", ["videolens-tests/no-such-model", "/no/such/model/dir"])
def test_missing_weights_say_to_pull_them(tmp_path: Path, model: str) -> None:
    calls = []

    def loader(settings: Settings) -> loading.LoadedModel:
        calls.append(settings)
        return loading.load_model(settings)

    backend = QwenBackend(qwen_settings(tmp_path, model), model_loader=loader)
    for _ in range(2):
        with pytest.raises(BackendUnavailableError, match="run `videolens models pull qwen`"):
            backend.describe(write_frames(tmp_path)[:1])
    assert len(calls) == 1, "a load failure is remembered, not retried on every batch"


def test_availability(tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert backend_class("qwen") is QwenBackend
    missing = qwen_settings(tmp_path, "videolens-tests/no-such-model")
    if not torch.cuda.is_available():
        assert "no CUDA GPU" in QwenBackend.availability(missing).reason
    monkeypatch.setattr(backend_module, "cuda_available", lambda: True)
    absent = QwenBackend.availability(missing)
    assert not absent.available
    assert "videolens models pull qwen" in absent.reason
    allowed = missing.model_copy(update={"allow_model_download": True})
    assert QwenBackend.availability(allowed).available
    present = QwenBackend.availability(qwen_settings(tmp_path, model_dir))
    assert present == Availability(True, f"weights in {model_dir}")


def test_close_frees_the_model_and_the_next_batch_loads_it_again(
    tmp_path: Path, model_dir: Path
) -> None:
    backend = QwenBackend(qwen_settings(tmp_path, model_dir))
    frames = write_frames(tmp_path)[:1]
    backend.describe(frames)
    assert backend.loaded is not None
    model = weakref.ref(backend.loaded.model)

    backend.close()
    gc.collect()

    assert backend.loaded is None
    assert model() is None, "nothing else holds the model"
    assert backend.preferred_batch_size is None
    assert len(backend.describe(frames)) == 1  # loaded again, lazily
    backend.close()


def fake_loaded() -> loading.LoadedModel:
    return loading.LoadedModel(
        model=object(),  # type: ignore[arg-type]
        processor=object(),  # type: ignore[arg-type]
        device=torch.device("cpu"),
        dtype="float32",
        attention="sdpa",
        quantization="none",
    )


def test_out_of_memory_halves_the_batch_and_goes_on(tmp_path: Path) -> None:
    backend = QwenBackend(qwen_settings(tmp_path, "unused"), model_loader=lambda s: fake_loaded())
    sizes: list[int] = []

    def generate(loaded: Any, images: list[Any], prompt: str | None) -> list[str]:
        sizes.append(len(images))
        if len(images) > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return ['{"frames": [{"frame": 1, "description": "a red square"}]}']

    backend._generate = generate  # type: ignore[method-assign]
    descriptions = backend.describe(write_frames(tmp_path))

    assert sizes == [3, 2, 1, 1, 1]  # 4 (CPU default) covers all 3, then halves to 2 and 1
    assert [d.description for d in descriptions] == ["a red square"] * 3
    assert backend.preferred_batch_size == 1


def test_out_of_memory_at_one_frame_gives_up(tmp_path: Path) -> None:
    backend = QwenBackend(qwen_settings(tmp_path, "unused"), model_loader=lambda s: fake_loaded())

    def generate(loaded: Any, images: list[Any], prompt: str | None) -> list[str]:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    backend._generate = generate  # type: ignore[method-assign]
    with pytest.raises(GpuOutOfMemoryError, match="single frame"):
        backend.describe(write_frames(tmp_path))


@pytest.mark.parametrize(
    ("free_gb", "size"), [(0, 1), (7.9, 1), (8, 5), (15.9, 5), (16, 10), (23.9, 10), (24, 20)]
)
def test_first_batch_size_follows_the_seed_table(free_gb: float, size: int) -> None:
    assert batch_size_for_free_memory(int(free_gb * GIB)) == size


def test_batch_size_follows_measured_cost_but_never_a_size_that_failed() -> None:
    batch = AdaptiveBatchSize(20)
    assert batch.observe(frames=20, batch_bytes=20 * GIB, free_bytes=30 * GIB) == 24  # 1 GiB/frame
    assert batch.on_out_of_memory() == 12
    assert batch.observe(frames=12, batch_bytes=6 * GIB, free_bytes=60 * GIB) == 23  # ceiling
    assert AdaptiveBatchSize(99).size == 32


def test_gpu_stats_without_a_gpu_is_none() -> None:
    if torch.cuda.is_available():
        stats = gpu_stats()
        assert stats is not None
        assert stats["gpu_memory_total_mib"] > 0
    else:
        assert gpu_stats() is None
