"""The library database down (VIDEOLENS_DATABASE_URL at a port where nothing listens): an
analysis still completes, the index's misses are logged, `videolens sessions` lists from the
folders meanwhile, and `videolens reindex` against the real database then repairs the index.
Through the real `videolens` process, on the real PostgreSQL (never stopped: it is shared).
The API starts and serves while it is down, says so in ``/readyz``, and uses the database once
it answers on that port (a relay to the real one), taking in what it missed meanwhile."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from tcp_relay import relay

from live_server import analysed_upload, serving
from polling import poll
from process_helpers import VIDEOLENS, run_on, running, stop, videolens_env
from videolens.config import Settings
from videolens.library import LibraryFilter, connect_index
from videolens.library.opening import RETRY_S
from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import Shot, write_clip


@pytest.mark.timeout(600)
def test_an_analysis_completes_with_the_database_down_and_reindex_repairs_it(
    postgres_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data_dir, database_url=postgres_url)  # type: ignore[call-arg]
    with connect_index(settings) as index:
        index.upgrade()  # the deployment's `videolens db upgrade`, done before the outage
    clip = write_clip(tmp_path / "quay.mp4", [Shot(2.0, (30, 120, 200), "HARBOR")]).path
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/test"

    analysed = run_on(["analyze", str(clip), "--json"], data_dir, VIDEOLENS_DATABASE_URL=down,
                      VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()))  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    document = json.loads(analysed.stdout)
    assert document["status"] == "completed" and document["frames"]
    assert "the library index missed" in analysed.stderr
    assert "videolens reindex" in analysed.stderr
    with connect_index(settings) as index:
        assert index.video(document["session_id"]) is None  # missed while it was down
    walked = run_on(["sessions", "--json"], data_dir, VIDEOLENS_DATABASE_URL=down)
    assert walked.returncode == 0, walked.stderr
    assert [s["session_id"] for s in json.loads(walked.stdout)] == [document["session_id"]]
    assert walked.stderr.count("the library index cannot list") == 1  # the folders, once said

    repaired = run_on(["reindex"], data_dir, VIDEOLENS_DATABASE_URL=postgres_url)
    assert repaired.returncode == 0, repaired.stderr
    assert "indexed 1 sessions" in repaired.stdout
    with connect_index(settings) as index:
        video = index.video(document["session_id"])
        assert video is not None and video.status == "completed"
        found = index.matches("harbor", LibraryFilter())
        assert [m.video.video_id for m in found] == [document["session_id"]]
        listed, total = index.listings(LibraryFilter())
        assert total == 1 and json.loads(listed[0].listing)["session_id"] == video.video_id
    listed = run_on(["sessions", "--status", "completed", "--limit", "1"], data_dir,
                    VIDEOLENS_DATABASE_URL=postgres_url)  # fmt: skip
    assert listed.returncode == 0 and "cannot list" not in listed.stderr, listed.stderr
    assert listed.stdout.startswith(document["session_id"]) and "1 of 1" in listed.stderr


def _library_videos(client: httpx.Client) -> list[dict[str, Any]] | None:
    """The library's videos once it answers with some, else None."""
    response = client.get("/v1/library/videos")
    videos: list[dict[str, Any]] = response.json()["videos"] if response.is_success else []
    return videos or None


@pytest.mark.timeout(600)
def test_the_api_serves_with_the_database_down_and_uses_it_once_it_answers(
    settings: Settings, postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with connect_index(
        settings.model_copy(update={"database_url": SecretStr(postgres_url)})
    ) as index:
        index.upgrade()  # the deployment's `videolens db upgrade`, done before the outage
    port = free_port()
    down = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{port}")
    assert down != postgres_url
    configured = settings.model_copy(update={
        "backend": "basic", "speech": "off", "database_url": SecretStr(down),
        "rate_limit_per_minute": 100_000,
    })  # fmt: skip
    clip = write_clip(tmp_path / "quay.mp4", [Shot(2.0, (30, 120, 200), "HARBOR")]).path
    caplog.set_level(logging.WARNING, logger="videolens.library")
    started = time.monotonic()
    with serving(configured) as live, live.client() as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "degraded" and ready.json()["checks"]["library"] is False
        searched = client.get("/v1/library/videos")
        assert searched.status_code == 503, searched.text
        assert searched.json()["error"]["code"] == "library_unavailable"
        session_id = analysed_upload(live, client, clip, "quay.mp4")
        listed = [client.get("/v1/sessions") for _ in range(20)]  # from the folders
        assert {tuple(s["session_id"] for s in r.json()["sessions"]) for r in listed} == {
            (session_id,)
        }
        assert listed[-1].headers["x-total-count"] == "1"
        # Not asked on every request or write: at most every RETRY_S by the API and by its
        # in-process workers' store, each.
        tries = [r for r in caplog.records if r.name == "videolens.library.opening"]
        assert 1 <= len(tries) <= 2 * ((time.monotonic() - started) / RETRY_S + 1), len(tries)

        with relay(port, ("127.0.0.1", 5432)):  # the database answers again on its port
            videos = poll(lambda: _library_videos(client), 6 * RETRY_S, "the index again")
            assert [v["video_id"] for v in videos] == [session_id]  # missed, then taken in
            assert client.get("/readyz").json() == {
                "status": "ready",
                "checks": {"temporal": True, "store": True, "library": True},
            }
            again = client.get("/v1/sessions", params={"status": "completed"})
            assert [s["session_id"] for s in again.json()["sessions"]] == [session_id]
    assert "took in 1 sessions" in caplog.text


@pytest.mark.timeout(300)
def test_videolens_serve_starts_with_the_database_down(
    tmp_path: Path, temporal_address: str
) -> None:
    port = free_port()
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    env = videolens_env(VIDEOLENS_DATA_DIR=str(tmp_path / "data"),
                        VIDEOLENS_TEMPORAL_ADDRESS=temporal_address,
                        VIDEOLENS_DATABASE_URL=down)  # fmt: skip
    with running([VIDEOLENS, "serve", "--port", str(port)], env) as server:
        url = f"http://127.0.0.1:{port}"

        def readiness() -> dict[str, Any] | None:
            try:
                answer = httpx.get(f"{url}/readyz", timeout=2)
            except httpx.HTTPError:
                return None
            return answer.json() if answer.status_code == 200 else None

        ready = poll(readiness, 60, "`videolens serve` to answer /readyz")
        assert ready["status"] == "degraded" and ready["checks"]["library"] is False
        sessions = httpx.get(f"{url}/v1/sessions", timeout=10)
        assert sessions.status_code == 200 and sessions.json() == {"sessions": []}
        returncode, stderr = stop(server, timeout_s=30)
    assert returncode == 0, stderr
    assert "the library index is unavailable" in stderr and "Traceback" not in stderr
