"""The ``qwen`` backend: Qwen2.5-VL in-process through transformers, batched on one GPU."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from videolens.backends.base import (
    Availability,
    BackendUnavailableError,
    FrameDescription,
    FrameInput,
    VisionBackend,
)
from videolens.backends.frame_output import build_frame_prompt, parse_frame_reply
from videolens.backends.qwen.batching import (
    CPU_BATCH,
    AdaptiveBatchSize,
    batch_size_for_free_memory,
)
from videolens.backends.qwen.gpu_stats import gpu_stats
from videolens.backends.qwen.loading import (
    PULL_COMMAND,
    LoadedModel,
    cuda_available,
    gpu_extra_missing,
    load_model,
    quantization_config,
    weights_location,
)

if TYPE_CHECKING:
    from PIL import Image

    from videolens.config import Settings

logger = logging.getLogger(__name__)

UNREADABLE = "frame image could not be read"
NO_REPLY = "the model gave no description"


class QwenBackend(VisionBackend):
    """Describes frames with Qwen2.5-VL on this machine's GPU (or, slowly, its CPU).

    The model loads on the first ``describe`` (once per worker process) and stays until
    ``close``. Each frame is its own prompt; a batch is several prompts padded on the left and
    generated together. The batch size starts from the free GPU memory, follows the measured
    cost per frame, and halves on CUDA out-of-memory (``GpuOutOfMemoryError`` at one frame).
    ``batch_size`` fixes it instead; ``model_loader`` replaces ``load_model`` (benchmarks hand
    over a model built in memory). ``stats`` holds the last batch's throughput and GPU memory and
    utilisation, for the worker's progress.
    """

    NAME: ClassVar[str] = "qwen"

    def __init__(
        self,
        settings: Settings,
        *,
        batch_size: int | None = None,
        model_loader: Callable[[Settings], LoadedModel] = load_model,
    ) -> None:
        self._settings = settings
        self._fixed_batch_size = batch_size
        self._model_loader = model_loader
        self._loaded: LoadedModel | None = None
        self._load_error: BackendUnavailableError | None = None
        self._batch: AdaptiveBatchSize | None = None
        self._lock = threading.Lock()  # one batch on the GPU at a time, whatever the threads
        self.stats: dict[str, Any] = {}
        self._load_s: float | None = None  # how long the model took to load, once it has
        quantized = settings.qwen_quantization != "none"
        self.model_label = f"qwen:{settings.qwen_model}" + (
            f" ({settings.qwen_quantization})" if quantized else ""
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> QwenBackend:
        return cls(settings)

    @classmethod
    def availability(cls, settings: Settings) -> Availability:
        missing = gpu_extra_missing()
        if missing:
            return Availability(False, missing)
        if not cuda_available():
            return Availability(False, "no CUDA GPU here (it would run on the CPU, very slowly)")
        try:
            quantization_config(settings.qwen_quantization, cuda=True)
        except BackendUnavailableError as err:
            return Availability(False, str(err))
        location = weights_location(settings.qwen_model)
        if location is None:
            if settings.allow_model_download:
                return Availability(True, f"{settings.qwen_model} downloads on first use")
            return Availability(False, f"weights not downloaded: run `{PULL_COMMAND}`")
        return Availability(True, f"weights in {location}")

    @property
    def preferred_batch_size(self) -> int | None:
        return self._batch.size if self._batch is not None else None

    @property
    def loaded(self) -> LoadedModel | None:
        """The model and processor once the first ``describe`` loaded them; None after close."""
        return self._loaded

    def runtime_stats(self) -> dict[str, Any]:
        return dict(self.stats)

    def describe(
        self, frames: Sequence[FrameInput], prompt: str | None = None
    ) -> list[FrameDescription]:
        if not frames:
            return []
        with self._lock:
            loaded = self._ensure_loaded()
            images = [_read_image(frame.path) for frame in frames]
            readable = [(i, image) for i, image in enumerate(images) if image is not None]
            custom = prompt or self._settings.vision_prompt
            replies = self._generate_all(loaded, [image for _, image in readable], custom)
            by_position = {
                position: reply for (position, _), reply in zip(readable, replies, strict=True)
            }
            return [
                self._description(frame, by_position.get(position))
                for position, frame in enumerate(frames)
            ]

    def close(self) -> None:
        with self._lock:
            was_loaded = self._loaded is not None
            self._loaded = None
            self._load_error = None
            self._batch = None
            if was_loaded:
                gc.collect()
                _empty_cuda_cache()

    def _ensure_loaded(self) -> LoadedModel:
        if self._loaded is not None:
            return self._loaded
        if self._load_error is not None:
            raise self._load_error  # a load failure is not retried until close()
        started = time.perf_counter()
        try:
            self._loaded = self._model_loader(self._settings)
        except BackendUnavailableError as err:
            self._load_error = err
            raise
        self._load_s = time.perf_counter() - started
        logger.info(
            "loaded %s in %.1f s (%s, %s attention, quantization %s)",
            self._settings.qwen_model,
            self._load_s,
            self._loaded.dtype,
            self._loaded.attention,
            self._loaded.quantization,
        )
        self._batch = AdaptiveBatchSize(self._initial_batch_size(self._loaded))
        return self._loaded

    def _initial_batch_size(self, loaded: LoadedModel) -> int:
        if self._fixed_batch_size is not None:
            return self._fixed_batch_size
        if loaded.device.type != "cuda":
            return CPU_BATCH
        import torch

        free, _total = torch.cuda.mem_get_info(loaded.device)
        return batch_size_for_free_memory(free)

    def _generate_all(
        self, loaded: LoadedModel, images: list[Image.Image], prompt: str | None
    ) -> list[str]:
        """Replies for ``images`` in order, in batches of the current size."""
        import torch

        assert self._batch is not None
        replies: list[str] = []
        while len(replies) < len(images):
            chunk = images[len(replies) : len(replies) + self._batch.size]
            started = time.perf_counter()
            baseline = _start_memory_measure(loaded)
            out_of_memory = False
            try:
                replies.extend(self._generate(loaded, chunk, prompt))
            except torch.cuda.OutOfMemoryError:
                out_of_memory = True
            # Outside the except block, so the traceback no longer pins the batch's tensors.
            _empty_cuda_cache()
            if out_of_memory:
                size = self._batch.on_out_of_memory()  # GpuOutOfMemoryError at one frame
                logger.warning("CUDA out of memory; batch size halved to %d", size)
                continue
            self._after_batch(loaded, len(chunk), time.perf_counter() - started, baseline)
        return replies

    def _generate(
        self, loaded: LoadedModel, images: list[Image.Image], prompt: str | None
    ) -> list[str]:
        """processor → generate → decode for one batch: one prompt per frame, left-padded."""
        import torch

        processor: Any = loaded.processor
        text_prompt = build_frame_prompt(1, prompt)
        messages = [
            {
                "role": "user",
                "content": [{"type": "image"}, {"type": "text", "text": text_prompt}],
            }
        ]
        text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = processor(
            text=[text] * len(images), images=images, padding=True, return_tensors="pt"
        ).to(loaded.device)
        with torch.inference_mode():
            output = loaded.model.generate(  # type: ignore[operator]
                **inputs, max_new_tokens=self._settings.qwen_max_new_tokens, do_sample=False
            )
        generated = output[:, inputs["input_ids"].shape[1] :]  # only the new tokens
        return list(processor.batch_decode(generated, skip_special_tokens=True))

    def _after_batch(
        self, loaded: LoadedModel, frames: int, seconds: float, baseline: int | None
    ) -> None:
        assert self._batch is not None
        if baseline is not None and self._fixed_batch_size is None:
            import torch

            peak = torch.cuda.max_memory_allocated(loaded.device) - baseline
            free, _total = torch.cuda.mem_get_info(loaded.device)
            self._batch.observe(frames, peak, free)
        self.stats = {
            "batch_frames": frames,
            "frames_per_s": round(frames / seconds, 2) if seconds > 0 else None,
            "next_batch_size": self._batch.size,
            "model_load_s": round(self._load_s, 2) if self._load_s is not None else None,
            **(gpu_stats() or {}),
        }
        logger.info("described %d frames: %s", frames, self.stats)

    def _description(self, frame: FrameInput, reply: str | None) -> FrameDescription:
        if reply is None:
            return FrameDescription(frame.index, UNREADABLE, model=self.model_label)
        parsed = parse_frame_reply(reply, 1)[0]
        if parsed is None:  # not the structured shape we asked for: keep the prose
            return FrameDescription(
                frame.index,
                reply.strip() or NO_REPLY,
                model=self.model_label,
                extra={"unstructured_reply": True},
            )
        return parsed.described(frame.index, model=self.model_label, fallback=NO_REPLY)


def _read_image(path: str) -> Image.Image | None:
    from PIL import Image

    try:
        with Image.open(path) as image:
            rgb: Image.Image = image.convert("RGB")
    except OSError:
        return None
    return rgb


def _start_memory_measure(loaded: LoadedModel) -> int | None:
    """Reset the CUDA peak counter; returns the memory in use before the batch (None on CPU)."""
    if loaded.device.type != "cuda":
        return None
    import torch

    torch.cuda.reset_peak_memory_stats(loaded.device)
    return int(torch.cuda.memory_allocated(loaded.device))


def _empty_cuda_cache() -> None:
    import sys

    torch = sys.modules.get("torch")  # never import torch just to free nothing
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
