"""A client generated from ``/openapi.json`` by an off-the-shelf generator reads real documents."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import httpx
import pytest
from timeline_helpers import Analysed

from videolens.api import create_app
from videolens.config import Settings

NAMED = {
    "Session",
    "SessionSummary",
    "SessionList",
    "SessionDocument",
    "Moment",
    "FramesPage",
    "Stream",
    "StreamList",
    "StreamFramesPage",
    "StreamDocument",
    "ChatAnswer",
    "ChatCitation",
}
CODEGEN = str(Path(sys.executable).parent / "datamodel-codegen")


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``/openapi.json`` as the app serves it (the lifespan is not needed to serve the schema)."""
    root = tmp_path_factory.mktemp("openapi")
    settings = Settings(_env_file=None, data_dir=root / "data")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)

    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/openapi.json")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    return anyio.run(fetch)


@pytest.fixture(scope="module")
def client_module(openapi: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The pydantic models ``datamodel-code-generator`` writes from the schema, imported."""
    root = tmp_path_factory.mktemp("client")
    (root / "openapi.json").write_text(json.dumps(openapi), encoding="utf-8")
    target = root / "videolens_client.py"
    result = subprocess.run(
        [
            CODEGEN,
            "--input",
            str(root / "openapi.json"),
            "--input-file-type",
            "openapi",
            "--output",
            str(target),
            "--output-model-type",
            "pydantic_v2.BaseModel",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    spec = importlib.util.spec_from_file_location("videolens_client", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["videolens_client"] = module
    spec.loader.exec_module(module)
    return module


def test_openapi_names_the_documents(openapi: dict[str, Any]) -> None:
    assert set(openapi["components"]["schemas"]) >= NAMED
    paths = openapi["paths"]

    def ok_schema(path: str, method: str = "get") -> str:
        content = paths[path][method]["responses"]
        code = "201" if "201" in content else "200"
        ref: str = content[code]["content"]["application/json"]["schema"]["$ref"]
        return ref.rsplit("/", 1)[-1]

    assert ok_schema("/v1/sessions") == "SessionList"
    assert ok_schema("/v1/sessions/{session_id}") == "Session"
    assert ok_schema("/v1/sessions/{session_id}/frames") == "FramesPage"
    assert ok_schema("/v1/streams") == "StreamList"
    assert ok_schema("/v1/streams", "post") == "Stream"
    assert ok_schema("/v1/streams/{stream_id}") == "Stream"
    assert ok_schema("/v1/streams/{stream_id}/frames") == "StreamFramesPage"
    moment = openapi["components"]["schemas"]["Moment"]["properties"]
    assert {"timestamp_s", "description", "objects", "detections", "seq", "at"} <= set(moment)


def test_the_generated_client_reads_documents(
    client_module: ModuleType, analysed: Analysed, main_document: dict[str, Any]
) -> None:
    generated = client_module.SessionDocument
    for document in (main_document, json.loads(analysed.stored_path.read_text("utf-8"))):
        parsed = generated.model_validate(document)
        assert parsed.session_id == document["session_id"]
        assert [f.index for f in parsed.frames] == [f["index"] for f in document["frames"]]
        assert parsed.frames[0].description == document["frames"][0]["description"]
        assert parsed.video.duration_s == document["video"]["duration_s"]
    first = client_module.SessionDocument.model_validate(main_document).frames[0]
    assert first.detections[0].label == "person"
    answer = client_module.ChatAnswer.model_validate(
        {"answer": "x [00:01]", "mode": "llm", "citations": [{"valid": True, "timestamp_s": 1}]}
    )
    assert answer.citations[0].valid is True
