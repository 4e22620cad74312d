"""Running ``videolens`` as a user does, for the timeline tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VIDEOLENS = str(Path(sys.executable).parent / "videolens")
FIXTURE = Path(__file__).parent / "data" / "session_document_main.json"


@dataclass
class Analysed:
    """What the run printed, and where its session lives."""

    printed: dict[str, Any]
    stored_path: Path


def run_videolens(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The ``videolens`` command as a user runs it, on ``data_dir``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOLENS_")}
    environment.update(VIDEOLENS_DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [VIDEOLENS, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
