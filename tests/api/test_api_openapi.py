"""What /openapi.json says matches what the routes do (schemathesis checks it against the live
server in test_api_schemathesis.py; these pin the parts a client most relies on)."""

from __future__ import annotations

import re
import typing
from typing import Any

import pytest

from videolens.api import create_app
from videolens.api.routes.chat import ExportName
from videolens.api.routes.clips import CLIP_TIME_PATTERN
from videolens.config import Settings
from videolens.exports import EXPORT_FORMATS, export_format
from videolens.video.clips import ClipRequestError, parse_clip_time


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("openapi") / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    schema: dict[str, Any] = create_app(settings).openapi()
    return schema


def _responses(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    return responses


def test_the_errors_routes_answer_are_listed(document: dict[str, Any]) -> None:
    session = _responses(document, "/v1/sessions/{session_id}", "get")
    assert {"200", "401", "404", "422", "429"} <= set(session)
    assert session["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert "403" in _responses(document, "/v1/keys", "get")
    assert "403" not in _responses(document, "/v1/sessions", "get")
    assert {"400", "408", "413", "415", "503", "507"} <= set(
        _responses(document, "/v1/videos", "post")
    )
    assert {"415", "507"} <= set(_responses(document, "/v1/sessions/{session_id}/video", "get"))
    assert "507" in _responses(document, "/v1/sessions/{session_id}/clip", "get")
    assert "409" in _responses(document, "/v1/sessions/{session_id}/cancel", "post")
    assert "ErrorBody" in document["components"]["schemas"]


def test_chat_routes_declare_ndjson(document: dict[str, Any]) -> None:
    for path in ("/v1/sessions/{session_id}/chat", "/v1/streams/{stream_id}/chat"):
        content = _responses(document, path, "post")["200"]["content"]
        assert list(content) == ["application/x-ndjson"], path


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    parameters = document["paths"][path]["get"]["parameters"]
    schema: dict[str, Any] = next(p for p in parameters if p["name"] == name)["schema"]
    return schema


def test_export_formats_are_an_enum_of_every_accepted_name(document: dict[str, Any]) -> None:
    names = set(typing.get_args(ExportName))
    assert set(EXPORT_FORMATS) <= names
    assert all(export_format(name) for name in names)
    schema = _parameter(document, "/v1/sessions/{session_id}/export", "format")
    assert set(schema["enum"]) == names
    sheet = _parameter(document, "/v1/sessions/{session_id}/sheet", "format")
    assert set(sheet["enum"]) == {"jpeg", "png"}


@pytest.mark.parametrize(
    ("text", "parses"),
    [("83", True), ("83.5", True), ("83s", True), ("1:23", True), ("01:23.5", True),
     ("1:01:23", True), ("[01:23]", True), ("soon", False), ("-3", False), ("1:2:3:4", False)],
)  # fmt: skip
def test_the_documented_time_pattern_is_what_parses(
    document: dict[str, Any], text: str, parses: bool
) -> None:
    assert _parameter(document, "/v1/sessions/{session_id}/clip", "t")["pattern"] == (
        CLIP_TIME_PATTERN
    )
    assert bool(re.fullmatch(CLIP_TIME_PATTERN, text)) is parses
    try:
        parse_clip_time(text)
    except ClipRequestError:
        assert not parses
    else:
        assert parses
