"""The API's /metrics through the real app over HTTP: requests by route template and status,
uploads and their bytes, sessions by status, task queues, and the key it needs."""

from __future__ import annotations

import httpx
from metrics_helpers import live_api, scrape, series, value

from polling import poll
from videolens.api.security import KeyStore, Role
from videolens.config import Settings
from videolens.video.synthetic import ClipSpec

DURATION = "videolens_http_request_duration_seconds_count"


def test_requests_are_labelled_by_route_template_and_uploads_counted(
    settings: Settings, text_clip: ClipSpec
) -> None:
    settings = settings.model_copy(update={"metrics_cache_s": 0.0})
    with live_api(settings) as api, httpx.Client(base_url=api.url, timeout=60) as client:
        for session_id in ("aaaaaaaaaaaa", "aaaaaaaaaaaa", "bbbbbbbbbbbb"):
            assert client.get(f"/v1/sessions/{session_id}").status_code == 404
        assert client.get("/healthz").status_code == 200
        assert client.get("/no/such/page").status_code == 404
        assert client.request("PROPFIND", "/healthz").status_code == 405
        with text_clip.path.open("rb") as handle:
            accepted = client.post("/v1/videos", files={"file": ("clip.mp4", handle)})
        assert accepted.status_code == 202, accepted.text
        empty = client.post("/v1/videos", files={"file": ("empty.mp4", b"")})
        assert empty.status_code == 422, empty.text

        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        samples = scrape(f"{api.url}/metrics")

    route = "/v1/sessions/{session_id}"
    assert value(samples, DURATION, method="GET", route=route, status="404") == 3
    assert value(samples, DURATION, method="GET", route="/healthz", status="200") == 1
    assert value(samples, DURATION, method="POST", route="/v1/videos", status="202") == 1
    # Whatever is not an API route falls to the web UI's mount: one label, not one per path.
    assert value(samples, DURATION, method="GET", route="/{path}", status="404") == 1
    # Made-up methods share one label value too.
    assert value(samples, DURATION, method="other", status="405") == 1
    routes = {labels["route"] for labels in series(samples, DURATION)}
    assert not any("aaaa" in r or "no/such" in r for r in routes), routes

    assert value(samples, "videolens_uploads_total", status="202") == 1
    assert value(samples, "videolens_uploads_total", status="422") == 1
    # The request bodies: the clip's bytes plus the multipart envelope.
    assert value(samples, "videolens_upload_bytes_total") > text_clip.path.stat().st_size

    # Figures read at scrape time: the uploaded session runs; no worker polls these queues.
    assert value(samples, "videolens_sessions", status="running") == 1
    assert value(samples, "videolens_sessions", status="completed") == 0
    assert value(samples, "videolens_temporal_up") == 1
    queues = {(q["task_queue"], q["kind"]) for q in series(samples, "videolens_task_queue_pollers")}
    assert queues == {
        (settings.cpu_task_queue, "workflow"),
        (settings.cpu_task_queue, "activity"),
        (settings.vision_task_queue, "activity"),
    }
    assert value(samples, "videolens_task_queue_pollers") == 0


def test_metrics_need_an_admin_key_once_keys_exist(settings: Settings) -> None:
    keys = KeyStore(settings.data_dir / "keys.json")
    _, raw_key = keys.create("prometheus", Role.ADMIN)
    _, user_key = keys.create("someone")
    with live_api(settings) as api:
        forbidden = httpx.get(f"{api.url}/metrics", headers={"X-API-Key": user_key}, timeout=10)
        assert forbidden.status_code == 403
        refused = httpx.get(f"{api.url}/metrics", timeout=10)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        wrong = httpx.get(f"{api.url}/metrics", headers={"Authorization": "Bearer vl_nope"})
        assert wrong.status_code == 401
        samples = scrape(f"{api.url}/metrics", headers={"Authorization": f"Bearer {raw_key}"})
    assert value(samples, DURATION, route="/metrics", status="401") == 2
    assert value(samples, DURATION, route="/metrics", status="403") == 1


def test_in_process_workers_share_the_api_metrics(settings: Settings) -> None:
    """`videolens up` runs the workers in the API process: their series are on its /metrics."""
    settings = settings.model_copy(update={"metrics_cache_s": 0.0})

    def every_queue_polled(url: str) -> bool:
        samples = scrape(f"{url}/metrics")
        pollers = series(samples, "videolens_task_queue_pollers")
        return len(pollers) == 3 and all(
            value(samples, "videolens_task_queue_pollers", **q) >= 1 for q in pollers
        )

    with live_api(settings, run_workers=True) as api:
        text = httpx.get(f"{api.url}/metrics", timeout=10).text
        assert "# TYPE videolens_frames_described_total counter" in text
        assert "# TYPE videolens_batch_duration_seconds histogram" in text
        poll(lambda: every_queue_polled(api.url), 20, "a poller on every queue")
