"""Chat history per session: ``<session_dir>/chat.json``, rewritten atomically on each turn.

Several processes may answer questions about one session at once (``videolens up`` and a
``videolens ask`` beside it, or several API replicas on one data dir). Each turn is a
read-modify-write of the whole file, so writers take an exclusive ``flock`` on
``chat.json.lock`` beside it: a per-process lock would let two processes read the same turns and
the last rename would drop the other's turn.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from videolens.store.atomic import read_json, write_json_atomic

HISTORY_FILE = "chat.json"
LOCK_FILE = "chat.json.lock"


class ChatHistory:
    """The questions asked about one session and the answers given, oldest first."""

    def __init__(self, session_dir: Path) -> None:
        self.path = session_dir / HISTORY_FILE
        self.lock_path = session_dir / LOCK_FILE

    def turns(self) -> list[dict[str, Any]]:
        """Every turn, oldest first (readers need no lock: the file is replaced atomically)."""
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
        with self._exclusive():
            turns = self.turns()
            turns.append(record)
            write_json_atomic(self.path, {"turns": turns})

    def clear(self) -> None:
        """Forget every turn."""
        with self._exclusive():
            self.path.unlink(missing_ok=True)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        # flock belongs to the open file description, so threads of one process that each open
        # the lock file exclude each other as well as other processes do.
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
