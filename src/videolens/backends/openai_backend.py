"""The ``openai`` backend: any OpenAI-compatible chat-completions endpoint with image input.

vLLM or SGLang serving Qwen2.5-VL, Ollama, Nebius AI Studio, OpenAI. Frames go as JPEG data URLs,
several per request, with several requests in flight so the server can batch them. No retries
here: a failed request fails the ``describe`` call with a typed error and Temporal retries.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from videolens.backends.base import (
    Availability,
    BackendError,
    BackendRateLimitedError,
    BackendUnavailableError,
    FrameDescription,
    FrameInput,
    VisionBackend,
)
from videolens.backends.frame_output import ParsedFrame, build_frame_prompt, read_frame_reply
from videolens.errors import ConfigurationError
from videolens.openai_compat import (
    EndpointAuthError,
    EndpointError,
    EndpointRateLimitError,
    EndpointRequestError,
    OpenAICompatClient,
)

if TYPE_CHECKING:
    from typing_extensions import Self

    from videolens.config import Settings

logger = logging.getLogger(__name__)

KEY_SETTING = "VIDEOLENS_VISION_API_KEY"
AVAILABILITY_TIMEOUT_S = 2.0
MAX_TOKENS_PER_FRAME = 400
"""Room for one frame's JSON entry; the request asks for this times its frame count."""
NO_DESCRIPTION = "the model returned no description for this frame"
UNREADABLE = "frame image could not be read"
_PNG_MAGIC = b"\x89PNG"


class _BatchAlreadyFailed(Exception):
    """A request not sent because another request of the same batch failed."""


class OpenAIBackend(VisionBackend):
    """Describes frames through an OpenAI-compatible endpoint (``VIDEOLENS_VISION_BASE_URL``).

    ``describe`` splits its frames into requests of ``frames_per_request`` images and keeps up to
    ``max_concurrency`` of them in flight on a thread pool owned by the instance. Each description
    is labelled ``openai:<model>``.
    """

    NAME: ClassVar[str] = "openai"

    def __init__(
        self,
        client: OpenAICompatClient,
        *,
        frames_per_request: int = 4,
        max_concurrency: int = 4,
        prompt: str | None = None,
    ) -> None:
        self._client = client
        self._frames_per_request = max(1, frames_per_request)
        self._max_concurrency = max(1, max_concurrency)
        self._prompt = prompt
        self._label = f"{self.NAME}:{client.model}"
        self._pool = ThreadPoolExecutor(
            max_workers=self._max_concurrency, thread_name_prefix="videolens-openai"
        )

    @property
    def preferred_batch_size(self) -> int | None:
        return self._frames_per_request * self._max_concurrency

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        try:
            client = _client(settings, settings.vision_timeout_s)
        except ConfigurationError as err:
            raise BackendUnavailableError(str(err)) from err
        return cls(
            client,
            frames_per_request=settings.vision_frames_per_request,
            max_concurrency=settings.vision_max_concurrency,
            prompt=settings.vision_prompt,
        )

    @classmethod
    def availability(cls, settings: Settings) -> Availability:
        """Configured, and the endpoint answers ``GET /models`` within two seconds."""
        try:
            client = _client(settings, AVAILABILITY_TIMEOUT_S)
        except (BackendUnavailableError, ConfigurationError) as err:
            return Availability(available=False, reason=str(err))
        try:
            models = client.list_models()
        except EndpointRequestError:
            return Availability(available=True, reason="the endpoint does not list its models")
        except EndpointError as err:
            return Availability(available=False, reason=str(err))
        finally:
            client.close()
        if models and settings.vision_model not in models:
            return Availability(
                available=True,
                reason=f"the endpoint does not list {settings.vision_model!r} "
                f"(it lists {', '.join(models[:5])}); check VIDEOLENS_VISION_MODEL",
            )
        return Availability(available=True)

    def describe(
        self, frames: Sequence[FrameInput], prompt: str | None = None
    ) -> list[FrameDescription]:
        if not frames:
            return []
        size = self._frames_per_request
        chunks = [list(frames[start : start + size]) for start in range(0, len(frames), size)]
        custom = prompt or self._prompt
        failed = threading.Event()
        futures = [
            self._pool.submit(self._describe_chunk_unless_failed, chunk, custom, failed)
            for chunk in chunks
        ]
        wait(futures, return_when=FIRST_EXCEPTION)
        errors = (f.exception() for f in futures if f.done() and f.exception())
        error = next((e for e in errors if not isinstance(e, _BatchAlreadyFailed)), None)
        if error is not None:
            for future in futures:
                future.cancel()  # requests not yet sent; those in flight finish on their own
            if isinstance(error, EndpointError):
                raise _backend_error(error) from error
            raise error
        return [description for future in futures for description in future.result()]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def _describe_chunk_unless_failed(
        self, frames: list[FrameInput], prompt: str | None, failed: threading.Event
    ) -> list[FrameDescription]:
        # A pool thread can pick up the next request before the caller cancels it: once one
        # request of the batch has failed, the rest are not sent.
        if failed.is_set():
            raise _BatchAlreadyFailed
        try:
            return self._describe_chunk(frames, prompt)
        except BaseException:
            failed.set()
            raise

    def _describe_chunk(
        self, frames: list[FrameInput], prompt: str | None
    ) -> list[FrameDescription]:
        images: dict[int, dict[str, Any]] = {}
        for position, frame in enumerate(frames):
            part = _image_part(frame.path)
            if part is not None:
                images[position] = part
        if not images:
            return [self._unreadable(frame) for frame in frames]
        content = [
            *images.values(),
            {"type": "text", "text": build_frame_prompt(len(images), prompt)},
        ]
        reply_text = self._client.chat(
            [{"role": "user", "content": content}],
            max_tokens=MAX_TOKENS_PER_FRAME * len(images),
            temperature=0.0,
        )
        reply = read_frame_reply(reply_text, len(images))
        if not reply.found_any:
            raise BackendError(
                f"the vision model's reply could not be read as frame descriptions "
                f"({'; '.join(reply.problems)}): {reply_text[:120]!r}"
            )
        parsed = iter(reply.frames)
        descriptions = []
        for position, frame in enumerate(frames):
            if position not in images:
                descriptions.append(self._unreadable(frame))
            else:
                descriptions.append(self._description(frame, next(parsed), reply.problems))
        return descriptions

    def _description(
        self, frame: FrameInput, parsed: ParsedFrame | None, reply_problems: list[str]
    ) -> FrameDescription:
        if parsed is None:
            logger.warning("the vision model returned nothing for frame %d", frame.index)
            return FrameDescription(
                index=frame.index,
                description=NO_DESCRIPTION,
                model=self._label,
                extra={"problems": list(reply_problems) or ["missing from the reply"]},
            )
        return parsed.described(
            frame.index, model=self._label, fallback=_fallback_description(parsed)
        )

    def _unreadable(self, frame: FrameInput) -> FrameDescription:
        return FrameDescription(
            index=frame.index, description=UNREADABLE, model=self._label, extra={"readable": False}
        )


def _client(settings: Settings, timeout_s: float) -> OpenAICompatClient:
    if not settings.vision_base_url:
        raise BackendUnavailableError(
            "the openai backend needs an endpoint: set VIDEOLENS_VISION_BASE_URL "
            "(e.g. http://127.0.0.1:8000/v1 for vLLM, http://127.0.0.1:11434/v1 for Ollama)"
        )
    key = settings.vision_api_key.get_secret_value() if settings.vision_api_key else None
    return OpenAICompatClient(
        settings.vision_base_url,
        settings.vision_model,
        api_key=key,
        timeout_s=timeout_s,
        key_hint=KEY_SETTING,
    )


def _image_part(path: str) -> dict[str, Any] | None:
    """The frame as an ``image_url`` content part, or None if it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if not data:
        return None
    mime = "image/png" if data.startswith(_PNG_MAGIC) else "image/jpeg"
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return {"type": "image_url", "image_url": {"url": url}}


def _fallback_description(parsed: ParsedFrame) -> str:
    """A description from the lists when the model gave none."""
    parts = [
        f"{name}: {', '.join(values)}"
        for name, values in (
            ("objects", parsed.objects),
            ("people", parsed.people),
            ("actions", parsed.actions),
            ("text", parsed.text),
        )
        if values
    ]
    return "; ".join(parts) if parts else NO_DESCRIPTION


def _backend_error(error: EndpointError) -> BackendError:
    """The backend error an endpoint error means: wrong key or request → unavailable (no retry),
    rate limit → rate limited, anything else → a retryable error."""
    if isinstance(error, EndpointAuthError):
        return BackendUnavailableError(f"vision endpoint: {error}")
    if isinstance(error, EndpointRateLimitError):
        return BackendRateLimitedError(f"vision endpoint: {error}", error.retry_after_s)
    if isinstance(error, EndpointRequestError):
        return BackendUnavailableError(
            f"vision endpoint: {error} (VIDEOLENS_VISION_MODEL, or fewer images per request "
            "with VIDEOLENS_VISION_FRAMES_PER_REQUEST)"
        )
    return BackendError(f"vision endpoint: {error}")
