"""Chat history per session: ``<session_dir>/chat.json``, rewritten atomically on each turn."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from videolens.store.atomic import read_json, write_json_atomic

# Turns from one process are appended one at a time (API requests run in threads).
_append_lock = threading.Lock()


class ChatHistory:
    """The questions asked about one session and the answers given, oldest first."""

    def __init__(self, session_dir: Path) -> None:
        self.path = session_dir / "chat.json"

    def turns(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        document: dict[str, Any] = read_json(self.path)
        turns: list[dict[str, Any]] = document.get("turns", [])
        return turns

    def recent(self, count: int) -> list[dict[str, Any]]:
        """The last ``count`` turns (for a follow-up question's prompt)."""
        return self.turns()[-count:] if count > 0 else []

    def append(self, turn: dict[str, Any]) -> None:
        """Add one turn (``question``, ``answer``, ``mode``, ``citations``, ...)."""
        record = {"created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **turn}
        with _append_lock:
            turns = self.turns()
            turns.append(record)
            write_json_atomic(self.path, {"turns": turns})

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
