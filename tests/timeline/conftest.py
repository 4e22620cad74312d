"""One real analysis for the timeline tests: ``videolens analyze --json`` on a generated clip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from timeline_helpers import FIXTURE, Analysed, run_videolens

from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import Shot, write_clip


@pytest.fixture(scope="session")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Analysed:
    """A real run (embedded Temporal, the basic backend) on two shots with words on screen."""
    root = tmp_path_factory.mktemp("timeline")
    clip = write_clip(
        root / "clip.mp4",
        [Shot(2.0, (30, 120, 200), "HARBOR"), Shot(2.0, (240, 220, 60), "SUNRISE")],
    )
    data_dir = root / "data"
    result = run_videolens(
        ["analyze", str(clip.path), "--json", "--backend", "basic"],
        data_dir,
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()),
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    stored = data_dir / "sessions" / printed["session_id"] / "session.json"
    return Analysed(printed=printed, stored_path=stored)


@pytest.fixture
def main_document() -> dict[str, Any]:
    """A document written by main before the typed model existed (paths made relative)."""
    document: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return document
