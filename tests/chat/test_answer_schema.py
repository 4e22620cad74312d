"""The chat routes publish the answer's schema: NDJSON lines whose last one is a ``ChatAnswer``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from videolens.api.main import create_app
from videolens.config import Settings


@pytest.mark.parametrize("path", ["/v1/sessions/{session_id}/chat", "/v1/streams/{stream_id}/chat"])
def test_a_chat_route_says_its_answer_streams_as_ndjson_chat_answers(
    tmp_path: Path, path: str
) -> None:
    app = create_app(Settings(_env_file=None, data_dir=tmp_path / "data"))

    async def fetch() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/openapi.json")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    spec = anyio.run(fetch)
    content = spec["paths"][path]["post"]["responses"]["200"]["content"]
    assert list(content) == ["application/x-ndjson"]
    assert content["application/x-ndjson"]["schema"] == {"$ref": "#/components/schemas/ChatAnswer"}
    assert "ChatAnswer" in spec["components"]["schemas"]
