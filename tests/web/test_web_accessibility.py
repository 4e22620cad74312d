"""axe-core (npm, ``tests/web/package.json``) run in Chromium over the web UI's main views against
the real server: the start page, a completed session (moments, chat, the export and rerun
menus), the stream form, the search results and the keys help. No serious or critical
violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from chromium_browser import needs_chromium
from live_server import LiveServer, analysed_upload
from videolens.video.synthetic import Shot, write_clip

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}

expect.set_options(timeout=30_000)
pytestmark = [
    needs_chromium,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not AXE.is_file(), reason="run `npm ci` in tests/web for axe-core"),
]


@pytest.fixture(scope="module")
def session_id(shared_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    clip = write_clip(
        tmp_path_factory.mktemp("a11y") / "walk.mp4",
        [Shot(2.0, (200, 60, 40), "HELLO"), Shot(2.0, (40, 90, 200), "WORLD")],
    )
    with httpx.Client(base_url=shared_server.url, timeout=60) as client:
        return analysed_upload(shared_server, client, clip.path, "walk.mp4")


# (colour scheme, viewport): the desktop in both schemes, a phone in light.
LOOKS = {
    "light-desktop": ("light", {"width": 1366, "height": 900}),
    "dark-desktop": ("dark", {"width": 1366, "height": 900}),
    "light-phone": ("light", {"width": 390, "height": 844}),
}


@pytest.fixture(params=list(LOOKS))
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    scheme, viewport = LOOKS[request.param]
    # The page's policy allows only its own scripts: axe is added past it, as a test tool.
    context = browser.new_context(viewport=viewport, color_scheme=scheme, bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def _violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
          .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}))"""
    )
    return [v for v in found if v["impact"] in BLOCKING]


def test_the_main_views_have_no_serious_violations(
    page: Page, shared_server: LiveServer, session_id: str
) -> None:
    seen: dict[str, list[dict[str, Any]]] = {}
    page.goto(shared_server.url)
    expect(page.locator("#welcome")).to_be_visible()
    seen["start page"] = _violations(page)

    if page.locator("#sessions-toggle").is_visible():  # a phone: the sidebar is a drawer
        page.locator("#sessions-toggle").click()
    page.locator("#stream-new > summary").click()
    expect(page.locator("#stream-form")).to_be_visible()
    seen["stream form"] = _violations(page)

    page.goto(f"{shared_server.url}/#/sessions/{session_id}")
    expect(page.locator("#session-status")).to_have_text("completed")
    expect(page.locator("#moments .moment")).not_to_have_count(0)
    seen["session"] = _violations(page)

    page.locator("#export-menu > summary").click()
    expect(page.locator("#export-links")).to_be_visible()
    seen["export menu"] = _violations(page)
    page.locator("#rerun-menu > summary").click()
    expect(page.locator("#rerun-form")).to_be_visible()
    seen["rerun form"] = _violations(page)
    page.keyboard.press("Escape")
    expect(page.locator("#rerun-form")).to_be_hidden()

    page.get_by_role("tab", name="Chat").click()
    expect(page.locator("#chat-input")).to_be_visible()
    seen["chat"] = _violations(page)

    page.locator("#global-search-input").fill("WORLD")
    page.locator("#global-search-input").press("Enter")
    expect(page.locator("#search-results .search-hit")).not_to_have_count(0)
    seen["search"] = _violations(page)

    if page.get_by_role("button", name="Keys").is_visible():
        page.get_by_role("button", name="Keys").click()
    else:  # a phone shows no key button; a keyboard still has the key
        page.locator("#main").focus()
        page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard")).to_be_visible()
    seen["keys help"] = _violations(page)

    assert {view: found for view, found in seen.items() if found} == {}
