"""Routing and fallback for vision: the ``auto`` backend.

``auto`` describes frames with the local GPU model when this machine can run it (CUDA, the
``gpu`` extra, weights present), else with the configured OpenAI-compatible endpoint, else with
the offline ``basic`` analyzer. When the local model cannot load, or runs out of GPU memory even
one frame at a time, the endpoint (when configured) describes the batch instead; each
description's ``model`` then names the endpoint's model, and ``extra["fallback_reason"]`` says
why. Nothing here downloads weights: a model without local weights is simply not chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from videolens.backends.base import (
    Availability,
    BackendUnavailableError,
    FrameDescription,
    FrameInput,
    VisionBackend,
)
from videolens.backends.qwen import GpuOutOfMemoryError, QwenBackend

if TYPE_CHECKING:
    from videolens.config import Settings

logger = logging.getLogger(__name__)

CLOUD_BACKEND = "openai"
OFFLINE_BACKEND = "basic"


def resolve_backend_name(settings: Settings) -> str:
    """The backend ``auto`` uses: ``qwen`` when it can run here, else ``openai`` when
    ``vision_base_url`` is set, else ``basic``."""
    if QwenBackend.availability(settings).available:
        return QwenBackend.NAME
    if settings.vision_base_url:
        return CLOUD_BACKEND
    return OFFLINE_BACKEND


class FallbackBackend(VisionBackend):
    """Describes with ``primary``; on its failure to load or out-of-memory, with ``fallback``.

    A primary that cannot load is closed (freeing what it got onto the GPU) and not tried again
    until ``close``; after an out-of-memory it is tried again on the next batch. Without a
    fallback, the primary's error propagates unchanged.
    """

    NAME: ClassVar[str] = "auto"

    def __init__(self, primary: VisionBackend, fallback: VisionBackend | None = None) -> None:
        self.primary = primary
        self.fallback = fallback
        self._primary_failure = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> FallbackBackend:
        from videolens.backends import backend_class, backend_names

        name = resolve_backend_name(settings)
        primary = backend_class(name).from_settings(settings)
        fallback = None
        if name != CLOUD_BACKEND and settings.vision_base_url and CLOUD_BACKEND in backend_names():
            fallback = backend_class(CLOUD_BACKEND).from_settings(settings)
        return cls(primary, fallback)

    @classmethod
    def availability(cls, settings: Settings) -> Availability:
        name = resolve_backend_name(settings)
        reason = f"uses {name}"
        if name != CLOUD_BACKEND and settings.vision_base_url:
            reason += f", falls back to {CLOUD_BACKEND}"
        return Availability(True, reason)

    @property
    def preferred_batch_size(self) -> int | None:
        if self._primary_failure and self.fallback is not None:
            return self.fallback.preferred_batch_size
        return self.primary.preferred_batch_size

    def runtime_stats(self) -> dict[str, Any]:
        """The primary's last-batch statistics (GPU memory, frames/s), when it keeps any."""
        return self.primary.runtime_stats()

    def describe(
        self, frames: Sequence[FrameInput], prompt: str | None = None
    ) -> list[FrameDescription]:
        reason = self._primary_failure
        if not reason:
            try:
                return self.primary.describe(frames, prompt)
            except BackendUnavailableError as err:  # cannot load here: switch for good
                if self.fallback is None:
                    raise
                reason = self._primary_failure = f"{self.primary.NAME}: {err}"
                self.primary.close()
                logger.warning("vision falls back to %s: %s", self.fallback.NAME, reason)
            except GpuOutOfMemoryError as err:  # this batch only
                if self.fallback is None:
                    raise
                reason = f"{self.primary.NAME}: {err}"
        assert self.fallback is not None
        descriptions = self.fallback.describe(frames, prompt)
        for description in descriptions:
            description.model = description.model or self.fallback.NAME
            description.extra["fallback_reason"] = reason
        return descriptions

    def close(self) -> None:
        self._primary_failure = ""
        self.primary.close()
        if self.fallback is not None:
            self.fallback.close()
