"""How uvicorn serves the app: the options ``serve``, ``up`` and the tests' live server share."""

from __future__ import annotations

import sys
from typing import Any

from videolens.config import Settings


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config``: no ``server`` banner, and a keep-alive timeout
    longer than clients keep idle connections."""
    return {
        "server_header": False,
        "timeout_keep_alive": settings.api_keep_alive_s,
    }


API_SWITCH_INTERVAL_S = 0.001


def share_the_interpreter_with_the_api() -> None:
    """In ``videolens up`` the workers' activity threads run Python beside the API's event loop.

    The loop needs the interpreter lock briefly for every step of every request; a busy thread
    hands it over only when asked and after the switch interval (5 ms by default), so a request
    of many steps waited for the lock most of its time while analyses ran. A shorter interval
    gives the loop its turn sooner; the activities lose little (their heavy work is in C that
    releases the lock: decoding, OpenCV, NumPy).
    """
    sys.setswitchinterval(API_SWITCH_INTERVAL_S)
