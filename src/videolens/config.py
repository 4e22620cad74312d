"""One validated ``Settings`` object, read once from the environment (prefix ``VIDEOLENS_``).

Nothing else in videolens reads ``os.environ``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SamplingStrategy(str, Enum):
    """How frames are picked from a video."""

    ADAPTIVE = "adaptive"
    INTERVAL = "interval"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("videolens", appauthor=False))


class Settings(BaseSettings):
    """Everything configurable, with defaults that work on a laptop with nothing else set up."""

    model_config = SettingsConfigDict(
        env_prefix="VIDEOLENS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)

    # Temporal. Without an address, the CLI starts an embedded dev server (SQLite in data_dir).
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    embedded_temporal_port: int = Field(default=7233, ge=1, le=65535)
    cpu_task_queue: str = "videolens-cpu"
    vision_task_queue: str = "videolens-vision"
    cpu_concurrency: int = Field(default=2, ge=1)
    vision_concurrency: int = Field(default=1, ge=1)
    # A killed worker's activity is retried elsewhere once this passes without a heartbeat.
    heartbeat_timeout_s: float = Field(default=20.0, gt=0)

    # Sampling.
    strategy: SamplingStrategy = SamplingStrategy.ADAPTIVE
    interval_s: float = Field(default=2.0, gt=0)
    floor_interval_s: float = Field(default=5.0, gt=0)
    max_frames: int = Field(default=300, ge=1)
    max_side: int = Field(default=768, ge=32)
    jpeg_quality: int = Field(default=85, ge=10, le=100)
    segment_s: float = Field(default=60.0, ge=1)

    # Vision.
    backend: str = "basic"
    batch_size: int = Field(default=8, ge=1)

    @model_validator(mode="after")
    def _queues_differ(self) -> Settings:
        if self.cpu_task_queue == self.vision_task_queue:
            raise ValueError("VIDEOLENS_CPU_TASK_QUEUE and VIDEOLENS_VISION_TASK_QUEUE must differ")
        return self

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    @property
    def temporal_db_path(self) -> Path:
        return self.data_dir / "temporal.sqlite"
