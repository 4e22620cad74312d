"""The library database down (VIDEOLENS_DATABASE_URL at a port where nothing listens): an
analysis still completes, the index's misses are logged, `videolens sessions` lists from the
folders meanwhile, and `videolens reindex` against the real database then repairs the index.
Through the real `videolens` process, on the real PostgreSQL (never stopped: it is shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from process_helpers import run_on
from videolens.config import Settings
from videolens.library import LibraryFilter, connect_index
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
