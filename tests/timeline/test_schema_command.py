"""``videolens schema`` prints the JSON Schema of the documents."""

from __future__ import annotations

import json
from pathlib import Path

from process_helpers import run_on
from videolens.timeline import ChatAnswer, SessionDocument, StreamDocument


def test_schema_prints_each_documents_schema(tmp_path: Path) -> None:
    for flags, model in (
        ([], SessionDocument),
        (["--stream"], StreamDocument),
        (["--answer"], ChatAnswer),
    ):
        result = run_on(["schema", *flags], tmp_path)
        assert result.returncode == 0, result.stderr
        printed = json.loads(result.stdout)
        assert printed == model.model_json_schema(mode="serialization")
        assert printed["title"] == model.__name__
    session = json.loads(run_on(["schema"], tmp_path).stdout)
    assert {"Moment", "Detection", "Speech", "Coverage"} <= set(session["$defs"])


def test_schema_refuses_two_documents_at_once(tmp_path: Path) -> None:
    result = run_on(["schema", "--stream", "--answer"], tmp_path)
    assert result.returncode == 2
    assert "not both" in result.stderr
