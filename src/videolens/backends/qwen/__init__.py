"""The ``qwen`` backend: Qwen2.5-VL through transformers on a local GPU.

Importing this package is cheap and needs neither torch nor transformers (the ``gpu`` extra):
they are imported when the model loads, and ``QwenBackend.availability`` says when they are
missing.
"""

from videolens.backends.qwen.backend import QwenBackend
from videolens.backends.qwen.batching import GpuOutOfMemoryError

__all__ = ["GpuOutOfMemoryError", "QwenBackend"]
