"""How many frames go through the model at once: from free GPU memory, then from measurements.

The first size comes from the seed's table of free GPU memory. After each batch the backend
reports the memory the batch took; the next size is what fits the free memory at that cost per
frame, never above a size that ran out of memory. On out-of-memory the size halves; out of memory
at one frame is ``GpuOutOfMemoryError``.
"""

from __future__ import annotations

from videolens.backends.base import BackendError

GIB = 1024**3
MAX_BATCH = 32
"""Past this, batching gains little and one batch holds up progress for too long."""
CPU_BATCH = 4
"""On a CPU (tests, trials) memory is not the limit; small batches keep checkpoints frequent."""
HEADROOM = 0.8
"""Share of the free GPU memory a batch may plan to use; the rest absorbs fragmentation."""


class GpuOutOfMemoryError(BackendError):
    """The GPU ran out of memory even at one frame per batch.

    Worth retrying elsewhere (another worker, or the cloud endpoint when one is configured).
    """


def batch_size_for_free_memory(free_bytes: int) -> int:
    """The seed's table: <8 GB free → 1 frame, <16 → 5, <24 → 10, else 20."""
    free_gb = free_bytes / GIB
    if free_gb < 8:
        return 1
    if free_gb < 16:
        return 5
    if free_gb < 24:
        return 10
    return 20


class AdaptiveBatchSize:
    """The current batch size, grown from measured cost per frame and halved on out-of-memory."""

    def __init__(self, initial: int, maximum: int = MAX_BATCH) -> None:
        self.size = max(1, min(initial, maximum))
        self._ceiling = maximum

    def on_out_of_memory(self) -> int:
        """Halve the size after an out-of-memory; raises when one frame already did not fit."""
        if self.size <= 1:
            raise GpuOutOfMemoryError("out of GPU memory describing a single frame")
        self._ceiling = self.size - 1  # never go back to a size that did not fit
        self.size = max(1, self.size // 2)
        return self.size

    def observe(self, frames: int, batch_bytes: int, free_bytes: int) -> int:
        """Resize from a finished batch: ``batch_bytes`` of peak memory above the model's own.

        ``free_bytes`` is what the GPU has free once the batch is released.
        """
        if frames <= 0 or batch_bytes <= 0:
            return self.size
        per_frame = batch_bytes / frames
        fits = int(free_bytes * HEADROOM / per_frame)
        self.size = max(1, min(fits, self._ceiling))
        return self.size
