"""Clip links in the web UI (Debian's Chromium via Playwright, the real API server): every moment
and every citation in a chat answer has a link that downloads an MP4 around it, and the file the
browser saves is the right part of the video."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from chromium_browser import ARTIFACTS, needs_chromium
from clip_media import CounterClip, decoded_numbers, write_counter_clip
from live_server import analysed_upload, serving
from videolens.config import Settings

FPS = 25
expect.set_options(timeout=30_000)

pytestmark = [needs_chromium, pytest.mark.timeout(600)]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def _download(page: Page, link: Locator, target: Path) -> tuple[str, list[int]]:
    """Click ``link``, save what the browser downloads, and read the frames' counters."""
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.failure() is None
    download.save_as(target)
    numbers, times = decoded_numbers(target)
    assert times[0] == 0.0 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return download.suggested_filename, numbers


def _check_clip_around(numbers: list[int], seconds: float) -> None:
    """3 s before to 5 s after ``seconds`` (clamped to the 8 s video), from a keyframe at most
    one GOP (1 s) before the start."""
    start = max(0, round((seconds - 3) * FPS))
    assert start - FPS <= numbers[0] <= start
    end = min(8 * FPS, round((seconds + 5) * FPS))
    assert end - 1 <= numbers[-1] <= end + 2


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> CounterClip:
    path = tmp_path_factory.mktemp("web-clips") / "counter.mp4"
    return write_counter_clip(path, seconds=8.0, fps=FPS, gop=FPS)


def test_moments_and_citations_download_clips(
    settings: Settings, counter: CounterClip, tmp_path: Path, page: Page
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with serving(settings) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        session_id = analysed_upload(live, client, counter.path, "park walk.mp4")

        page.goto(f"{live.url}/#/sessions/{session_id}")
        cards = page.locator("#moments .moment-item")
        expect(cards).not_to_have_count(0)
        total = cards.count()
        expect(page.locator("#moments .moment-item a.clip-link")).to_have_count(total)

        card = cards.nth(total // 2)
        seconds = float(card.locator("button.moment").get_attribute("data-t") or "nan")
        link = card.get_by_role("link", name="Download a clip around")
        name, numbers = _download(page, link, tmp_path / "moment.mp4")
        assert name.startswith("park_walk-") and name.endswith(".mp4")
        _check_clip_around(numbers, seconds)

        page.get_by_role("tab", name="Chat").click()
        page.get_by_label("Ask about this video").fill("What happens at 0:05?")
        page.keyboard.press("Enter")
        answer = page.locator('.chat-msg[data-role="assistant"]')
        expect(answer.locator("button.cite")).not_to_have_count(0)
        citation = answer.locator("button.cite").first
        cited = citation.inner_text()
        minutes, secs = cited.split(":")
        link = answer.get_by_role("link", name=f"Download a clip around {cited}").first
        _, numbers = _download(page, link, tmp_path / "cited.mp4")
        _check_clip_around(numbers, int(minutes) * 60 + int(secs))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-ui-clips.png"))
        page.get_by_role("tab", name="Moments").click()
        page.screenshot(path=str(ARTIFACTS / "web-ui-clip-links.png"))
    assert errors == []
