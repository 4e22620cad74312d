"""Real cut-out people and the empty street they walk on, made once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scene import CutOut, Image, street_and_walkers

from real_media import opencv_data_file
from videolens.tracking import FrameDetector, SsdNetwork, detector_missing_reason


@pytest.fixture(scope="session")
def detector() -> Iterator[FrameDetector]:
    reason = detector_missing_reason()
    if reason:
        pytest.skip(reason)
    yield FrameDetector(SsdNetwork())


@pytest.fixture(scope="session")
def street_and_people(detector: FrameDetector) -> tuple[Image, list[CutOut]]:
    """vtest.avi's street with nobody on it, and five walkers cut out of it."""
    street, people = street_and_walkers(opencv_data_file("vtest.avi"), count=5)
    assert len(people) == 5
    return street, people
