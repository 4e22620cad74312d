"""Every kind of response carries the security headers and no server banner."""

from __future__ import annotations

import re

import httpx
import pytest

from live_server import LiveServer, analysed_upload
from videolens.api.security import KeyStore, Role
from videolens.video.synthetic import ClipSpec


def _assert_secured(response: httpx.Response, what: str) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("x-frame-options") == "DENY", what
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, what
    assert "default-src 'self'" in policy, what
    assert "server" not in headers, (what, headers.get("server"))


def test_every_kind_of_response_is_secured(api: LiveServer, text_clip: ClipSpec) -> None:
    with api.client() as client:
        session_id = analysed_upload(api, client, text_clip.path, "text.mp4")
    # A key from now on (the local user's session stays theirs): 401 answers exist.
    _, key = KeyStore(api.settings.data_dir / "keys.json").create("headers", Role.ADMIN)
    with api.client(key) as client:
        answers = {
            "json": client.get(f"/v1/sessions/{session_id}"),
            "openapi": client.get("/openapi.json"),
            "ui page": client.get("/"),
            "ui module": client.get("/main.js"),
            "ui style": client.get("/style.css"),
            "docs": client.get("/docs"),
            "not found": client.get("/v1/sessions/nosuchsession"),
            "static not found": client.get("/nosuchfile.js"),
            "validation": client.get(f"/v1/sessions/{session_id}/frames", params={"limit": 0}),
            "media": client.get(f"/v1/sessions/{session_id}/video"),
            "media range": client.get(
                f"/v1/sessions/{session_id}/video", headers={"Range": "bytes=0-99"}
            ),
            "image": client.get(f"/v1/sessions/{session_id}/sheet", params={"n": 2}),
            "health": client.get("/healthz"),
        }
    with httpx.Client(base_url=api.url, timeout=30) as anonymous:
        answers["unauthorized"] = anonymous.get(f"/v1/sessions/{session_id}")
    expected = {"not found": 404, "static not found": 404, "validation": 422, "unauthorized": 401,
                "media range": 206}  # fmt: skip
    for what, response in answers.items():
        assert response.status_code == expected.get(what, 200), (what, response.text[:200])
        _assert_secured(response, what)


@pytest.mark.parametrize("path", ["/", "/index.html"])
def test_the_web_ui_needs_nothing_its_policy_forbids(api: LiveServer, path: str) -> None:
    """The UI's page has no inline script or style: the policy allows only files of this
    origin (`'self'`), so an inline one would be blocked by the browser."""
    with api.client() as client:
        page = client.get(path)
    policy = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    html = page.text
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="main.js">']
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no onclick= handlers
