"""Vision backends by name.

Built-in backends register here; third-party ones through the ``videolens.backends`` entry point
group (``name = "package.module:BackendClass"``). A backend whose optional dependencies are not
installed is skipped at import, and ``available_backends`` says why.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from videolens.backends.base import (
    Availability,
    BackendError,
    BackendRateLimitedError,
    BackendUnavailableError,
    FrameDescription,
    FrameInput,
    VisionBackend,
)
from videolens.config import Settings
from videolens.errors import ConfigurationError

__all__ = [
    "Availability",
    "BackendError",
    "BackendRateLimitedError",
    "BackendUnavailableError",
    "FrameDescription",
    "FrameInput",
    "VisionBackend",
    "available_backends",
    "backend_class",
    "backend_names",
]

ENTRY_POINT_GROUP = "videolens.backends"


def _builtin_backends() -> dict[str, type[VisionBackend]]:
    from videolens.backends.basic import BasicBackend

    found: dict[str, type[VisionBackend]] = {BasicBackend.NAME: BasicBackend}
    try:  # imports neither torch nor transformers; its availability says when they are missing
        from videolens.backends.qwen import QwenBackend
        from videolens.backends.routing import FallbackBackend
    except ImportError:
        pass
    else:
        found[QwenBackend.NAME] = QwenBackend
        found[FallbackBackend.NAME] = FallbackBackend
    try:
        from videolens.backends.openai_backend import OpenAIBackend
    except ImportError:  # httpx missing
        pass
    else:
        found[OpenAIBackend.NAME] = OpenAIBackend
    return found


def _plugin_backends() -> dict[str, type[VisionBackend]]:
    found: dict[str, type[VisionBackend]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = entry.load()
        except ImportError:
            continue  # an optional plugin whose dependencies are missing
        if isinstance(cls, type) and issubclass(cls, VisionBackend):
            found[entry.name] = cls
    return found


def _registry() -> dict[str, type[VisionBackend]]:
    return {**_plugin_backends(), **_builtin_backends()}


def backend_names() -> list[str]:
    """Names of every backend that can be imported here."""
    return sorted(_registry())


def backend_class(name: str) -> type[VisionBackend]:
    """The backend class registered under ``name``."""
    registry = _registry()
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(sorted(registry)) or "none"
        raise ConfigurationError(
            f"unknown vision backend {name!r}; known backends: {known}"
        ) from None


def available_backends(settings: Settings) -> dict[str, Availability]:
    """Each registered backend and whether it can run on this machine with ``settings``."""
    return {name: cls.availability(settings) for name, cls in sorted(_registry().items())}
