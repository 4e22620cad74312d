"""A Qwen2.5-VL processor for images only.

The stock ``Qwen2_5_VLProcessor`` also builds a video processor, which needs torchvision; frames
are images, so this subclass leaves the video processor out (and works where torchvision is not
installed, such as the CPU test environment).
"""

from __future__ import annotations

from typing import Any

from transformers.models.qwen2_5_vl.processing_qwen2_5_vl import Qwen2_5_VLProcessor


class ImageOnlyQwenProcessor(Qwen2_5_VLProcessor):
    """``Qwen2_5_VLProcessor`` with an image processor and a tokenizer, no video processor."""

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        # ProcessorMixin derives its sub-processors from this signature: image and tokenizer only.
        super().__init__(  # type: ignore[no-untyped-call]
            image_processor, tokenizer, None, chat_template=chat_template, **kwargs
        )
