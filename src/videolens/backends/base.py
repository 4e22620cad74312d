"""The vision backend interface: batches of frame references in, descriptions out.

A backend is built once per worker process and reused for every batch; it holds its model on the
instance, never in a module global. It does no retries of its own: Temporal retries the batch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from videolens.errors import VideoLensError
from videolens.timeline.model import Detection

if TYPE_CHECKING:
    from typing_extensions import Self

    from videolens.config import Settings


class BackendError(VideoLensError):
    """A backend failed on a batch; worth retrying (a transient failure)."""


class BackendUnavailableError(BackendError):
    """A backend cannot run here (missing extra, no GPU, no endpoint); the message says which.

    Retrying on the same worker cannot help; the pipeline fails the batch without retries.
    """


class BackendRateLimitedError(BackendError):
    """The model server asked us to slow down; ``retry_after_s`` is its hint, if it gave one."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class FrameInput:
    """One frame for a backend: where its JPEG is, and what the sampler already measured."""

    index: int
    timestamp_s: float
    path: str
    motion: float = 0.0
    shot_start: bool = False
    # What the detection pass found (and tracked) at this frame's time, on the decoded frame;
    # None: no pass ran here, a backend that detects objects looks for itself.
    detections: list[Detection] | None = None


@dataclass
class FrameDescription:
    """What a backend says about one frame.

    The named fields are the structured output every backend fills as far as it can; ``extra``
    holds backend-specific measurements (colours, brightness, face boxes, ...).
    """

    index: int
    description: str
    objects: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    model: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Availability:
    """Whether a backend can run on this machine, and if not, why."""

    available: bool
    reason: str = ""


class VisionBackend(ABC):
    """Describes batches of frames. Subclasses set ``NAME`` and implement ``describe``."""

    NAME: ClassVar[str]

    @property
    def preferred_batch_size(self) -> int | None:
        """Frames per ``describe`` call; None means the whole batch at once.

        Smaller calls give finer checkpoints (a retried batch resumes after the last call);
        GPU backends return the largest batch that fits their memory.
        """
        return None

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the backend a worker keeps for its lifetime (cheap: load models lazily)."""
        return cls()

    @classmethod
    def availability(cls, settings: Settings) -> Availability:
        """Whether this backend can run here with ``settings``; cheap, loads nothing."""
        return Availability(available=True)

    @abstractmethod
    def describe(
        self, frames: Sequence[FrameInput], prompt: str | None = None
    ) -> list[FrameDescription]:
        """Describe ``frames``; returns one description per input frame, in the same order.

        ``prompt`` overrides the configured per-frame prompt for this call (a session's own
        prompt); backends without a prompt ignore it.

        Raises ``BackendError`` for a failure worth retrying. A frame a backend cannot read is
        still described (say so in ``description``) rather than failing the whole batch.
        """

    def runtime_stats(self) -> dict[str, Any]:
        """Figures from the last batch (frames/s, GPU memory and utilisation), for progress."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to free
        """Release what the backend holds (models, GPU memory, connections)."""
