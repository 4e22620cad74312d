"""The detection pass's rate for videos of every length: steady up to an hour's worth of frames,
lower beyond, none where following things would no longer work."""

from __future__ import annotations

import pytest

from videolens.tracking import pass_rate
from videolens.tracking.detection_pass import MAX_PASS_FRAMES


@pytest.mark.parametrize(
    ("duration_s", "fps"),
    [(80.0, 2.0), (600.0, 2.0), (3600.0, 2.0), (5400.0, 1.333), (7200.0, 1.0), (36000.0, 0.0)],
)
def test_long_videos_are_passed_slower_or_not_at_all(duration_s: float, fps: float) -> None:
    assert pass_rate(duration_s, 2.0) == fps
    assert pass_rate(duration_s, 2.0) * duration_s <= MAX_PASS_FRAMES + 1


def test_an_unknown_duration_keeps_the_rate_asked_for() -> None:
    assert pass_rate(0.0, 4.0) == 4.0
