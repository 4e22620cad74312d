"""Health, readiness, the error shape, OpenAPI, CORS and the web UI mount."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from live_server import LiveServer, serving
from videolens.api.static import mount_web_ui
from videolens.config import Settings


def test_health_and_readiness(api: LiveServer) -> None:
    with api.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ready",
            "checks": {"temporal": True, "store": True, "library": True},
        }
        assert not [p for p in api.settings.data_dir.glob(".ready-*")]


def test_errors_share_one_shape_and_docs_are_served(api: LiveServer) -> None:
    with api.client() as client:
        missing = client.get("/v1/nothing")
        assert missing.status_code == 404
        assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
        unknown = client.get("/v1/sessions/aaaaaaaaaaaa")
        assert unknown.json()["error"]["code"] == "not_found"
        traversal = client.get("/v1/sessions/..%2F..%2Fetc/video")
        assert traversal.status_code == 404
        assert client.delete("/healthz").json()["error"]["code"] == "method_not_allowed"
        assert client.get("/docs").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/v1/videos", "/v1/sessions/{session_id}/video", "/readyz"} <= set(paths)


def test_cors_origins_come_from_settings(settings: Settings) -> None:
    allowed = "http://app.example"
    cors_settings = settings.model_copy(update={"cors_origins": [allowed]})
    with serving(cors_settings) as api, api.client() as client:
        yes = client.get("/healthz", headers={"Origin": allowed})
        assert yes.headers["access-control-allow-origin"] == allowed
        no = client.get("/healthz", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in no.headers


def test_web_ui_is_served_at_root_when_present(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>videolens</h1>")
    (tmp_path / "app.js").write_text("console.log(1)")
    app = FastAPI()
    mount_web_ui(app, tmp_path)
    client = TestClient(app)
    assert "videolens" in client.get("/").text
    assert client.get("/app.js").status_code == 200

    bare = FastAPI()
    mount_web_ui(bare, tmp_path / "missing")
    assert TestClient(bare).get("/", follow_redirects=False).headers["location"] == "/docs"
