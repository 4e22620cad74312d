"""Answers cached on disk in the session folder (``chat_cache/<key>.json``).

The key covers everything the answer depends on: the normalised question, the exact context and
turns sent, the model and the prompt version. So a new analysis, another model or a reworded
prompt never returns a stale answer, and the same question on the same context never calls the
model twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from videolens.store.atomic import read_json, write_json_atomic


def normalise_question(question: str) -> str:
    """Case, spacing and trailing punctuation do not make a different question."""
    return re.sub(r"\s+", " ", question.strip().lower()).rstrip("?!. ")


def cache_key(
    question: str, messages: list[dict[str, Any]], model: str, base_url: str, prompt_version: str
) -> str:
    """A stable hash of everything that determines the answer."""
    # The last message is the question itself; the normalised form replaces it in the key.
    payload = {
        "question": normalise_question(question),
        "context": messages[:-1],
        "model": model,
        "base_url": base_url.rstrip("/"),
        "prompt": prompt_version,
    }
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:40]


class AnswerCache:
    """One JSON file per cached answer under ``<session_dir>/chat_cache/``."""

    def __init__(self, session_dir: Path) -> None:
        self.directory = session_dir / "chat_cache"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.directory / f"{key}.json"
        if not path.is_file():
            return None
        try:
            entry: dict[str, Any] = read_json(path)
        except (OSError, ValueError):
            return None  # a damaged entry is just a miss; the next answer replaces it
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        write_json_atomic(self.directory / f"{key}.json", entry)
