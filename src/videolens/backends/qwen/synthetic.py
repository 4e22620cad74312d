"""Random-weight Qwen2.5-VL models for tests and benchmarks, built offline from a config.

No weights ship in any package we can install, and tests never download. A byte-level BPE
tokenizer carrying Qwen's special tokens stands in for Qwen's own; the model's image and vision
token ids are read from it. Two sizes: ``tiny`` (runs the real transformers path on a CPU in
seconds) and ``7b`` (the published Qwen2.5-VL-7B-Instruct architecture, for GPU benchmarks).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, Qwen2_5_VLConfig

    from videolens.backends.qwen.processor import ImageOnlyQwenProcessor

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% else %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""Qwen's chat layout for one user turn with images (the shipped template, minus tools)."""

# Qwen2.5-VL-7B-Instruct's published config.json. transformers' own Qwen2_5_VLConfig defaults
# match it for the vocabulary, the vision tower's depth/heads/patching/windows, and the special
# token ids; its text defaults are the 72B model's, so the 7B text numbers are set here.
TEXT_7B: dict[str, Any] = {
    "vocab_size": 152064,
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "max_position_embeddings": 128000,
    "rms_norm_eps": 1e-6,
    "rope_parameters": {"rope_type": "default", "mrope_section": [16, 24, 24], "rope_theta": 1e6},
}
VISION_7B: dict[str, Any] = {
    "depth": 32,
    "hidden_size": 1280,
    "intermediate_size": 3420,
    "num_heads": 16,
    "out_hidden_size": 3584,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "window_size": 112,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "tokens_per_second": 2,
}
TEXT_TINY: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 4096,
    # mrope sections sum to half the head size (64 / 4 heads = 16).
    "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3], "rope_theta": 1e4},
}
VISION_TINY: dict[str, Any] = {
    "depth": 1,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_heads": 2,
    "out_hidden_size": 64,  # = the text hidden size
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "window_size": 56,
    "fullatt_block_indexes": [0],
}

Size = Literal["tiny", "7b"]


def byte_tokenizer() -> PreTrainedTokenizerBase:
    """A byte-level BPE tokenizer (no merges) with Qwen's special tokens, as Qwen2's class."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import Qwen2Tokenizer  # transformers 5: backed by `tokenizers`

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    backend = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(alphabet)}, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer: PreTrainedTokenizerBase = Qwen2Tokenizer(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=list(SPECIAL_TOKENS),
    )
    return tokenizer


def random_config(size: Size, tokenizer: PreTrainedTokenizerBase) -> Qwen2_5_VLConfig:
    """The model config for ``size``, with its special token ids taken from ``tokenizer``."""
    from transformers import Qwen2_5_VLConfig

    ids = {token: cast(int, tokenizer.convert_tokens_to_ids(token)) for token in SPECIAL_TOKENS}
    text = dict(TEXT_7B if size == "7b" else TEXT_TINY)
    if size == "tiny":
        text["vocab_size"] = len(tokenizer)
    text.update(
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
    )
    return Qwen2_5_VLConfig(
        text_config=text,
        vision_config=dict(VISION_7B if size == "7b" else VISION_TINY),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )


def random_processor(tokenizer: PreTrainedTokenizerBase | None = None) -> ImageOnlyQwenProcessor:
    """The image-only processor around ``tokenizer`` (a fresh byte tokenizer by default)."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    from videolens.backends.qwen.processor import ImageOnlyQwenProcessor

    return ImageOnlyQwenProcessor(
        Qwen2VLImageProcessorPil(),
        tokenizer if tokenizer is not None else byte_tokenizer(),
        chat_template=CHAT_TEMPLATE,
    )


def random_model(
    size: Size,
    tokenizer: PreTrainedTokenizerBase,
    *,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
    seed: int = 0,
) -> PreTrainedModel:
    """A randomly initialised Qwen2.5-VL of ``size``, built directly on ``device``."""
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(seed)
    config = random_config(size, tokenizer)
    previous = torch.get_default_dtype()
    if dtype is not None:
        torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model: PreTrainedModel = Qwen2_5_VLForConditionalGeneration(config)
    finally:
        torch.set_default_dtype(previous)
    model.eval()  # type: ignore[no-untyped-call]
    return model


def save_random_model(directory: Path, size: Size = "tiny", **options: Any) -> Path:
    """Save a random model and its processor to ``directory``, as ``save_pretrained`` does."""
    tokenizer = byte_tokenizer()
    random_model(size, tokenizer, **options).save_pretrained(directory)
    random_processor(tokenizer).save_pretrained(directory)
    return directory
