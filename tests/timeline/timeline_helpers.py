"""What the timeline tests share: the real run's result and a document main wrote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "data" / "session_document_main.json"


@dataclass
class Analysed:
    """What the run printed, and where its session lives."""

    printed: dict[str, Any]
    stored_path: Path
