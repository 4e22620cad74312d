"""How uvicorn serves the app: the options ``serve``, ``up`` and the tests' live server share."""

from __future__ import annotations

from typing import Any

from videolens.config import Settings


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config``: no ``server`` banner, and a keep-alive timeout
    longer than clients keep idle connections."""
    return {
        "server_header": False,
        "timeout_keep_alive": settings.api_keep_alive_s,
    }
