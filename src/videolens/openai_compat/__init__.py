"""A small client for OpenAI-compatible chat completions, used by the ``openai`` vision backend
and by chat. No retries inside: Temporal (or the caller) owns them."""

from videolens.openai_compat.client import AsyncOpenAICompatClient, OpenAICompatClient
from videolens.openai_compat.errors import (
    EndpointAuthError,
    EndpointError,
    EndpointRateLimitError,
    EndpointReplyError,
    EndpointRequestError,
    EndpointServerError,
    EndpointTimeoutError,
    EndpointUnreachableError,
)

__all__ = [
    "AsyncOpenAICompatClient",
    "EndpointAuthError",
    "EndpointError",
    "EndpointRateLimitError",
    "EndpointReplyError",
    "EndpointRequestError",
    "EndpointServerError",
    "EndpointTimeoutError",
    "EndpointUnreachableError",
    "OpenAICompatClient",
]
