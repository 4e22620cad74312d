"""URLs API users give may not make the server connect inside its own network unless allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live_server import LiveServer, serving
from videolens.config import Settings
from videolens.pipeline.temporal_server import free_port


@pytest.fixture
def guarded_api(settings: Settings) -> Iterator[LiveServer]:
    with serving(settings.model_copy(update={"allow_private_urls": False})) as live:
        yield live


def _listening_source() -> str:
    """A UDP source the server listens on: it connects nowhere, so it is always allowed."""
    return f"udp://@:{free_port()}"


@pytest.mark.parametrize(
    ("webhook_url", "kind"),
    [
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.7/hook", "private"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://localhost:9/hook", "loopback"),
    ],
)
def test_a_webhook_inside_the_network_is_refused(
    guarded_api: LiveServer, webhook_url: str, kind: str
) -> None:
    with guarded_api.client() as client:
        response = client.post(
            "/v1/streams", json={"url": _listening_source(), "webhook_url": webhook_url}
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "private_address" and error["field"] == "webhook_url"
        assert f"a {kind} address" in error["message"]
        assert "VIDEOLENS_ALLOW_PRIVATE_URLS" in error["message"]
        assert client.get("/v1/streams").json()["streams"] == []


@pytest.mark.parametrize(
    "url", ["rtsp://127.0.0.1:8554/cam", "http://169.254.169.254/live.m3u8", "rtsp://192.168.1.5/"]
)
def test_a_source_inside_the_network_is_refused(guarded_api: LiveServer, url: str) -> None:
    with guarded_api.client() as client:
        response = client.post("/v1/streams", json={"url": url})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "private_address" and error["field"] == "url"


def _started_and_deleted(live: LiveServer, body: dict[str, str]) -> None:
    with live.client() as client:
        response = client.post("/v1/streams", json=body)
        assert response.status_code == 201, response.text
        stream_id = response.json()["stream_id"]
        assert client.delete(f"/v1/streams/{stream_id}").status_code == 204


def test_the_settings_allow_a_network_or_every_inside_address(settings: Settings) -> None:
    lan = settings.model_copy(
        update={"allow_private_urls": False, "allowed_url_networks": ["127.0.0.0/8"]}
    )
    with serving(lan) as live:
        _started_and_deleted(
            live, {"url": _listening_source(), "webhook_url": "http://127.0.0.1:9/hook"}
        )
        with live.client() as client:
            metadata = {"url": _listening_source(), "webhook_url": "http://169.254.169.254/"}
            assert client.post("/v1/streams", json=metadata).status_code == 422
    everything = settings.model_copy(update={"allow_private_urls": True})
    with serving(everything) as live:
        _started_and_deleted(
            live, {"url": _listening_source(), "webhook_url": "http://169.254.169.254/hook"}
        )
