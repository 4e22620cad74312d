"""Loading Qwen2.5-VL: where the weights are, which dtype, quantization and attention kernel.

Every choice is a small function of the settings and of what this machine has, so each can be
tested without a GPU; ``load_model`` puts them together. Nothing is downloaded unless
``allow_model_download`` is set (``videolens models pull qwen`` is the explicit way).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from videolens.backends.base import BackendUnavailableError

if TYPE_CHECKING:
    import torch
    from transformers import BitsAndBytesConfig, PreTrainedModel, ProcessorMixin

    from videolens.config import Settings

# As the README installs it, from the videolens checkout.
GPU_EXTRA = 'pip install -e ".[gpu]" in the videolens checkout'
PULL_COMMAND = "videolens models pull qwen"
QUANTIZED_MODES = ("4bit", "8bit")


def gpu_extra_missing() -> str:
    """Why the ``qwen`` backend cannot be imported here, or ``""`` when it can (imports nothing)."""
    missing = [name for name in ("torch", "transformers") if not _installed(name)]
    if missing:
        return f"{' and '.join(missing)} not installed: {GPU_EXTRA}"
    return ""


def cuda_available() -> bool:
    """Whether a CUDA GPU is usable (imports torch; call only once the extra is known present)."""
    import torch

    return bool(torch.cuda.is_available())


def weights_location(model: str) -> Path | None:
    """The local directory or cached snapshot holding ``model``'s weights, or None if absent.

    ``model`` is a directory (a model saved with ``save_pretrained``) or a Hugging Face repo id
    looked up in the local hub cache; nothing goes over the network.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return path if (path / "config.json").is_file() else None
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(model, "config.json")
    except ValueError:  # not a valid repo id either (e.g. a path that does not exist)
        return None
    return Path(found).parent if isinstance(found, str) else None


def resolve_weights(settings: Settings) -> str:
    """What to pass to ``from_pretrained``: a local path, or the repo id when downloads are on."""
    if weights_location(settings.qwen_model) is not None:
        return str(Path(settings.qwen_model).expanduser())  # a directory, or a cached repo id
    if settings.allow_model_download:
        return settings.qwen_model
    raise BackendUnavailableError(
        f"the weights of {settings.qwen_model!r} are not on this machine; run "
        f"`{PULL_COMMAND}` (or set VIDEOLENS_ALLOW_MODEL_DOWNLOAD=true to fetch them on first use)"
    )


def choose_dtype(setting: str, *, cuda: bool, bf16_supported: bool) -> str:
    """The torch dtype name to load with: bf16 on GPUs that have it, else fp16; fp32 on a CPU."""
    if setting != "auto":
        return setting
    if not cuda:
        return "float32"
    return "bfloat16" if bf16_supported else "float16"


def quantization_config(mode: str, *, cuda: bool) -> BitsAndBytesConfig | None:
    """The bitsandbytes config for ``mode`` (``none``, ``4bit`` NF4 + double quant, ``8bit``).

    Raises ``BackendUnavailableError`` when the mode cannot work here. bitsandbytes loads 4-bit
    weights on a CPU without complaint, so the GPU check is ours.
    """
    if mode == "none":
        return None
    if mode not in QUANTIZED_MODES:
        raise BackendUnavailableError(f"unknown VIDEOLENS_QWEN_QUANTIZATION={mode!r}")
    if not cuda:
        raise BackendUnavailableError(
            f"VIDEOLENS_QWEN_QUANTIZATION={mode} needs a CUDA GPU; none is usable here "
            "(set VIDEOLENS_QWEN_QUANTIZATION=none to run unquantized)"
        )
    if not _installed("bitsandbytes"):
        raise BackendUnavailableError(
            f"VIDEOLENS_QWEN_QUANTIZATION={mode} needs bitsandbytes: {GPU_EXTRA}"
        )
    import torch
    from transformers import BitsAndBytesConfig

    if mode == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)  # type: ignore[no-untyped-call]
    return BitsAndBytesConfig(  # type: ignore[no-untyped-call]
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.float16,
    )


def attention_implementation(*, cuda: bool, dtype: str) -> str:
    """``flash_attention_2`` when flash-attn is installed and usable, else PyTorch's ``sdpa``.

    Asking transformers for flash attention without the package raises ImportError, and the
    kernels only run on a GPU in half precision.
    """
    if cuda and dtype in ("bfloat16", "float16") and _installed("flash_attn"):
        return "flash_attention_2"
    return "sdpa"


@dataclass
class LoadedModel:
    """A model ready to generate, with its processor and the choices it was loaded with."""

    model: PreTrainedModel
    processor: ProcessorMixin
    device: torch.device
    dtype: str
    attention: str
    quantization: str


def load_model(settings: Settings) -> LoadedModel:
    """Load model and processor per ``settings``; ``BackendUnavailableError`` says why not."""
    missing = gpu_extra_missing()
    if missing:
        raise BackendUnavailableError(f"the qwen backend needs {missing}")
    source = resolve_weights(settings)  # before importing torch: missing weights fail fast
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    cuda = cuda_available()
    quantization = quantization_config(settings.qwen_quantization, cuda=cuda)
    dtype = choose_dtype(
        settings.qwen_dtype, cuda=cuda, bf16_supported=cuda and torch.cuda.is_bf16_supported()
    )
    if quantization is not None and dtype == "float32":
        dtype = "float16"  # the layers bitsandbytes leaves alone run in half precision
    attention = attention_implementation(cuda=cuda, dtype=dtype)
    options: dict[str, Any] = {
        "dtype": getattr(torch, dtype),
        "attn_implementation": attention,
        "local_files_only": not settings.allow_model_download,
    }
    if quantization is not None:
        options["quantization_config"] = quantization
    if cuda:
        options["device_map"] = "cuda"  # straight onto the GPU, no full copy in host memory
    try:
        model = Qwen2_5_VLForConditionalGeneration.from_pretrained(source, **options)
        processor = load_processor(source, settings)
    except torch.cuda.OutOfMemoryError as err:
        raise BackendUnavailableError(
            f"out of GPU memory loading {settings.qwen_model!r}; try "
            "VIDEOLENS_QWEN_QUANTIZATION=4bit"
        ) from err
    except (OSError, ValueError, ImportError, RuntimeError) as err:
        raise BackendUnavailableError(f"could not load {settings.qwen_model!r}: {err}") from err
    model.eval()  # type: ignore[no-untyped-call]
    return LoadedModel(
        model=model,
        processor=processor,
        device=torch.device("cuda") if cuda else torch.device("cpu"),
        dtype=dtype,
        attention=attention,
        quantization=settings.qwen_quantization,
    )


def load_processor(source: str, settings: Settings) -> ProcessorMixin:
    """The image-only processor, padding on the left, frames bounded by the pixel settings."""
    from videolens.backends.qwen.processor import ImageOnlyQwenProcessor

    processor = ImageOnlyQwenProcessor.from_pretrained(
        source, local_files_only=not settings.allow_model_download
    )
    processor.tokenizer.padding_side = "left"  # batched generation continues every row at the end
    bound_frame_size(processor.image_processor, settings.qwen_min_pixels, settings.qwen_max_pixels)
    return processor


def bound_frame_size(image_processor: Any, min_pixels: int, max_pixels: int) -> None:
    """Make the image processor resize every frame to between ``min_pixels`` and ``max_pixels``.

    Fewer pixels, fewer vision tokens: a 1080p frame costs ~2.7k tokens, a 448 px one 256.
    transformers 5 reads ``size``; older releases read ``min_pixels``/``max_pixels``.
    """
    image_processor.size = {"shortest_edge": min_pixels, "longest_edge": max_pixels}
    if hasattr(image_processor, "max_pixels"):  # transformers 4.x
        image_processor.min_pixels = min_pixels
        image_processor.max_pixels = max_pixels


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
