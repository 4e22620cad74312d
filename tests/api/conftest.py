"""The API tests' fixtures: a live API server against the session's real Temporal dev server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live_server import LiveServer, analysed_upload, serving
from videolens.config import Settings
from videolens.video.synthetic import ClipSpec, Shot, write_clip


@pytest.fixture
def api(settings: Settings) -> Iterator[LiveServer]:
    # Tests poll sessions ten times a second until their analysis ends, which on a loaded
    # machine is past the default 120 a minute; the limit itself is tested in test_api_auth.py.
    with serving(settings.model_copy(update={"rate_limit_per_minute": 100_000})) as live:
        yield live


@pytest.fixture
def analysed(api: LiveServer, text_clip: ClipSpec) -> str:
    """The id of a session of ``text_clip`` uploaded as "harbour walk.mp4", analysed to the end."""
    with api.client() as client:
        return analysed_upload(api, client, text_clip.path, "harbour walk.mp4")


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    """40 s of two static shots: long enough to cancel or delete mid-analysis."""
    return write_clip(
        tmp_path_factory.mktemp("long") / "long.mp4",
        [Shot(20.0, (20, 20, 20), "WAIT"), Shot(20.0, (90, 0, 0), "")],
    )
