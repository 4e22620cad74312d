"""One real analysis for the timeline tests: ``videolens analyze --json`` on a generated clip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from timeline_helpers import FIXTURE, Analysed

from process_helpers import analyze_embedded


@pytest.fixture(scope="session")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Analysed:
    """A real run (embedded Temporal, the basic backend) on two shots with words on screen."""
    run = analyze_embedded(tmp_path_factory.mktemp("timeline"), "--backend", "basic")
    stored = run.data_dir / "sessions" / run.document["session_id"] / "session.json"
    return Analysed(printed=run.document, stored_path=stored)


@pytest.fixture
def main_document() -> dict[str, Any]:
    """A document written by main before the typed model existed (paths made relative)."""
    document: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return document
