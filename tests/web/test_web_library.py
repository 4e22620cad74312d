"""The library view in Chromium against the real server: two analysed generated videos are listed
(title, date, duration, source), filtered and paged; a search over the whole library opens the
session of a hit at its moment; "Ask the library" answers (offline) with a citation link that
opens the right video at that time; no serious axe-core violation; screenshots at a desktop and a
phone size go to ``SHOTS``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from chromium_browser import needs_chromium
from live_server import LiveServer, analysed_upload, serving
from videolens.config import Settings
from videolens.library.indexing import indexed_session_store
from videolens.store.sessions import SessionStatus
from videolens.timeline.model import Detection, Moment
from videolens.video.synthetic import Shot, write_clip

SHOTS = Path("/tmp/videolens-web-shots")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# Each clip: two shots of 3 s, each with a word on screen. harbour.mp4 is analysed first.
CLIPS = {
    "harbour.mp4": [Shot(3.0, (200, 60, 40), "HARBOUR"), Shot(3.0, (40, 90, 200), "SUNRISE")],
    "market.mp4": [Shot(3.0, (230, 210, 60), "MARKET"), Shot(3.0, (60, 150, 90), "LANTERN")],
}
# (colour scheme, viewport)
LOOKS = {
    "light-desktop": ("light", {"width": 1366, "height": 900}),
    "dark-desktop": ("dark", {"width": 1366, "height": 900}),
    "light-phone": ("light", {"width": 390, "height": 844}),
}
PLAYER_AT = "t => Math.abs(document.getElementById('player').currentTime - t) < 0.25"

expect.set_options(timeout=30_000)
pytestmark = [needs_chromium, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def videos(shared_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The two clips, analysed: file name -> session id."""
    folder = tmp_path_factory.mktemp("library")
    made = {}
    with httpx.Client(base_url=shared_server.url, timeout=60) as client:
        for name, shots in CLIPS.items():
            clip = write_clip(folder / name, shots)
            made[name] = analysed_upload(shared_server, client, clip.path, name)
    return made


@contextmanager
def _page(browser: Browser, scheme: str, viewport: dict[str, int]) -> Iterator[Page]:
    """A page of its own context, which must see no uncaught error."""
    # The page's policy allows only its own scripts: axe is added past it, as a test tool.
    context = browser.new_context(viewport=viewport, color_scheme=scheme, bypass_csp=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
        assert errors == []
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with _page(browser, *LOOKS["light-desktop"]) as opened:
        yield opened


def _rows(page: Page) -> Any:
    return page.locator("#library-videos .library-video")


def _open_library(page: Page, live: LiveServer) -> None:
    page.goto(live.url)
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Library").click()
    expect(page).to_have_url(re.compile(r"#/library$"))
    expect(page.get_by_role("heading", name="Library", exact=True)).to_be_visible()


def test_the_library_lists_both_videos_and_filters_and_pages_them(
    page: Page, shared_server: LiveServer, videos: dict[str, str]
) -> None:
    _open_library(page, shared_server)
    link = page.get_by_role("navigation", name="Views").get_by_role("link", name="Library")
    expect(link).to_have_attribute("aria-current", "page")
    rows = _rows(page)
    expect(rows).to_have_count(2)
    # Newest first; each with its title, source, date and duration.
    expect(rows.locator(".library-video-title")).to_have_text(["market.mp4", "harbour.mp4"])
    for row in (rows.nth(0), rows.nth(1)):
        expect(row.locator(".library-video-meta").first).to_contain_text("Video file")
        expect(row).to_contain_text("00:06")
        expect(row.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    expect(page.locator("#library-count")).to_have_text("2")

    # Filters, from the keyboard: a source with no videos, then a day before any was added.
    filters = page.get_by_role("form", name="Filter the videos")
    filters.get_by_label("Source").select_option("stream")
    filters.get_by_label("Label seen").press("Enter")
    expect(page).to_have_url(re.compile(r"#/library\?source=stream$"))
    expect(rows).to_have_count(0)
    expect(page.locator("#library-empty")).to_have_text("No video or stream matches these filters.")
    filters.get_by_role("button", name="Clear").click()
    expect(rows).to_have_count(2)
    filters.get_by_label("Added until").fill("2001-01-01")
    filters.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(0)
    filters.get_by_label("Added until").fill("")
    filters.get_by_label("Label seen").fill("zebra")
    filters.get_by_label("Label seen").press("Enter")
    expect(rows).to_have_count(0)
    filters.get_by_role("button", name="Clear").click()
    expect(rows).to_have_count(2)

    # A page of one video at a time.
    page.goto(f"{shared_server.url}/#/library?limit=1")
    expect(rows).to_have_count(1)
    expect(rows.locator(".library-video-title")).to_have_text("market.mp4")
    expect(page.locator("#library-page")).to_have_text("1–1 of 2")
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    expect(rows.locator(".library-video-title")).to_have_text("harbour.mp4")
    expect(page.locator("#library-page")).to_have_text("2–2 of 2")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    # The last page disables Next: the keyboard is left on Previous, not lost.
    expect(page.get_by_role("button", name="Previous")).to_be_focused()

    # A title opens its session.
    rows.get_by_role("link", name="harbour.mp4").click()
    expect(page).to_have_url(re.compile(f"#/sessions/{videos['harbour.mp4']}$"))
    expect(page.locator("#session-status")).to_have_text("completed")
    expect(page.locator("#library-view")).to_be_hidden()
    expect(link).not_to_have_attribute("aria-current", "page")


def test_a_library_search_opens_the_session_of_a_hit_at_its_moment(
    page: Page, shared_server: LiveServer, videos: dict[str, str]
) -> None:
    _open_library(page, shared_server)
    search = page.get_by_label("Words seen, read or said")
    search.fill("SUNRISE")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"#/library\?q=SUNRISE$"))
    hits = page.locator("#library-hits .search-hit")
    expect(hits).not_to_have_count(0)
    expect(page.locator("#library-search-meta")).to_contain_text("SUNRISE")
    expect(hits.first).to_contain_text("harbour.mp4")
    expect(hits.first).to_contain_text("SUNRISE")
    # From the keyboard: past the Search button to the first hit.
    search.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(hits.first.locator("a")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"#/sessions/{videos['harbour.mp4']}\?t=[\d.]+$"))
    expect(page.locator("#session-status")).to_have_text("completed")
    at = float(page.url.rsplit("=", 1)[-1])
    assert 3.0 <= at < 6.0, at  # in the SUNRISE shot
    page.wait_for_function(PLAYER_AT, arg=at)

    # Back: the library shows the same search again.
    page.go_back()
    expect(page).to_have_url(re.compile(r"#/library\?q=SUNRISE$"))
    expect(hits.first).to_contain_text("harbour.mp4")
    expect(search).to_have_value("SUNRISE")
    search.fill("zebra crossing in the snow")
    search.press("Enter")
    expect(page.locator("#library-search-meta")).to_contain_text("No moment in your library")
    expect(hits).to_have_count(0)


def test_asking_the_library_cites_a_moment_that_opens_its_video(
    page: Page, shared_server: LiveServer, videos: dict[str, str]
) -> None:
    _open_library(page, shared_server)
    page.get_by_label("Ask a question about all your videos").fill("Which videos show LANTERN?")
    page.keyboard.press("Enter")
    answer = page.locator("#library-chat-log .chat-msg[data-role='assistant']").last
    expect(answer).to_contain_text("appears in 1 video")
    expect(answer).to_contain_text("From the library index")
    cite = answer.get_by_role("link", name=re.compile(r"^market\.mp4 @ \d\d:\d\d$"))
    expect(cite).to_have_count(1)
    href = cite.get_attribute("href") or ""
    assert re.fullmatch(rf"#/sessions/{videos['market.mp4']}\?t=[\d.]+", href), href
    cite.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.locator("#session-title")).to_have_text("market.mp4")
    expect(page.locator("#session-status")).to_have_text("completed")
    at = float(href.rsplit("=", 1)[-1])
    assert 3.0 <= at < 6.0, at  # in the LANTERN shot
    page.wait_for_function(PLAYER_AT, arg=at)


def _violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
          .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}))"""
    )
    return [v for v in found if v["impact"] in {"serious", "critical"}]


# Whether the page scrolls sideways, which controls of the library view reach past the window's
# right edge, and which fields (the view's and the top bar's search) cut their placeholder off.
OVERFLOW = """
() => {
  const view = document.getElementById("library-view");
  const wide = document.documentElement.scrollWidth > innerWidth + 1;
  const cut = [...view.querySelectorAll("button, input, select, textarea, h1, h2, .library-pager")]
    .filter((el) => el.offsetParent && el.getBoundingClientRect().right > innerWidth + 1)
    .map((el) => el.id || el.className || el.tagName);
  const fields = [...view.querySelectorAll("input[placeholder], textarea[placeholder]"),
                  document.getElementById("global-search-input")];
  const context = document.createElement("canvas").getContext("2d");
  const unfit = fields.filter((field) => {
    const style = getComputedStyle(field);
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return context.measureText(field.placeholder).width > room;
  }).map((field) => field.id);
  return {wide, cut, unfit};
}
"""


@pytest.mark.skipif(not AXE.is_file(), reason="run `npm ci` in tests/web for axe-core")
@pytest.mark.parametrize("look", list(LOOKS))
def test_the_library_view_is_accessible_and_fits_a_desktop_and_a_phone(
    browser: Browser, shared_server: LiveServer, videos: dict[str, str], look: str
) -> None:
    with _page(browser, *LOOKS[look]) as page:
        _check_the_view(page, shared_server.url, look)


def _check_the_view(page: Page, base_url: str, look: str) -> None:
    page.goto(f"{base_url}/#/library?q=SUNRISE")
    expect(_rows(page)).to_have_count(2)
    expect(page.locator("#library-hits .search-hit")).not_to_have_count(0)
    page.get_by_label("Ask a question about all your videos").fill("How often is LANTERN seen?")
    page.get_by_role("button", name="Ask", exact=True).click()
    answer = page.locator("#library-chat-log .chat-msg[data-role='assistant']").last
    expect(answer.get_by_role("link")).not_to_have_count(0)
    assert page.evaluate(OVERFLOW) == {"wide": False, "cut": [], "unfit": []}
    assert _violations(page) == []
    if look.startswith("light"):
        SHOTS.mkdir(exist_ok=True)
        size = "desktop" if look.endswith("desktop") else "phone"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"library-{size}.png"))
        page.screenshot(path=str(SHOTS / f"library-{size}-full.png"), full_page=True)


def _detected(index: int, *labels: str) -> Moment:
    detections = [Detection(label=label, score=0.9, box=[0.1, 0.1, 0.4, 0.4], colour="white")
                  for label in labels]  # fmt: skip
    return Moment(index=index, timestamp_s=float(index), description="a street",
                  detections=detections, model="basic")  # fmt: skip


def test_each_listed_video_shows_its_labels_as_chips_that_filter_by_them(
    page: Page, module_settings: Settings, tmp_path: Path
) -> None:
    settings = module_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with serving(settings, run_workers=False) as live:
        sessions = indexed_session_store(live.settings)  # as an analysis writes them
        for name, frames in (("street.mp4", [_detected(0, "car", "person"), _detected(1, "car")]),
                             ("dark.mp4", [_detected(0)])):  # fmt: skip
            session_id = sessions.create(f"/videos/{name}", {}).session_id
            sessions.update(session_id, filename=name)
            sessions.write_batch(session_id, "b0", frames)
            sessions.finish(session_id, SessionStatus.COMPLETED, frames=frames)
        _open_library(page, live)
        rows = _rows(page)
        expect(rows).to_have_count(2)  # added in the same second or not: in either order
        street, dark = (rows.filter(has_text=name) for name in ("street.mp4", "dark.mp4"))
        # Seen in most frames first, without their colour ("white car" is a car).
        expect(street.locator(".chip-label")).to_have_text(["car", "person"])
        expect(dark.locator(".chip-label")).to_have_count(0)
        expect(dark).to_contain_text("No labels detected")
        street.get_by_role("button", name="person").click()
        expect(page).to_have_url(re.compile(r"#/library\?label=person$"))
        expect(rows.locator(".library-video-title")).to_have_text(["street.mp4"])
