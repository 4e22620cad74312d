"""A running analysis never looks frozen (Chromium, the real server and workers; the vision model
is the OpenAI-compatible fake over HTTP, told to take seconds per request): before any frame is
described the progress text changes within 2 s (elapsed time, stage, segments decoded), and the
header says when the analysis started, not that it was "analysed"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from chromium_browser import needs_chromium, new_page
from live_server import serving
from openai_fake import OpenAIFake
from videolens.config import Settings
from videolens.video.synthetic import Shot, write_clip

SLOW_MODEL_S = 8.0  # each vision request: long enough that no frame is done in the first seconds
PROGRESS_TEXT = """() => ["analysis-stage", "analysis-numbers", "analysis-detail"]
  .map((id) => document.getElementById(id).textContent).join(" | ")"""

expect.set_options(timeout=30_000)
pytestmark = [needs_chromium, pytest.mark.timeout(600)]


@pytest.fixture
def page(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    with new_page(browser, page_errors, viewport={"width": 1366, "height": 900}) as opened:
        yield opened
        assert page_errors == []


def test_progress_moves_before_the_first_frame_is_described(
    settings: Settings, openai_fake: OpenAIFake, tmp_path: Path, page: Page
) -> None:
    openai_fake.script(times=None, delay_s=SLOW_MODEL_S)
    slow = openai_fake.vision_settings(settings, speech="off")
    clip = write_clip(
        tmp_path / "slow.mp4", [Shot(4.0, (200, 60, 40), "ONE"), Shot(4.0, (40, 90, 200), "TWO")]
    )
    with serving(slow) as live:
        page.goto(live.url)
        page.set_input_files("#file-input", str(clip.path))
        expect(page).to_have_url(re.compile(r"#/sessions/[a-z0-9]{12}$"))
        expect(page.locator("#analysis")).to_be_visible()
        expect(page.locator("#session-meta")).to_contain_text("started")
        expect(page.locator("#session-meta")).not_to_contain_text("analysed")

        # Three readings, each within 2 s of the last, all different, with no frame described.
        seen = [page.evaluate(PROGRESS_TEXT)]
        for _ in range(2):
            changed = page.wait_for_function(
                f"before => ({PROGRESS_TEXT})() !== before && ({PROGRESS_TEXT})()",
                arg=seen[-1],
                timeout=2_000,
            )
            seen.append(changed.json_value())
        assert page.locator("#moments .moment").count() == 0, seen
        assert len(set(seen)) == 3, seen
        assert all(re.search(r"\d\d:\d\d elapsed", text) for text in seen), seen

        expect(page.locator("#analysis-stage")).to_have_text("Analysis complete", timeout=180_000)
        expect(page.locator("#session-meta")).to_contain_text("analysed")
        expect(page.locator("#moments .moment")).not_to_have_count(0)
