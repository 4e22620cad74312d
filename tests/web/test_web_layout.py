"""The web UI's layout in Chromium against the real server: videos of 16:9, 4:3 and 9:16 are
shown whole with their native controls, the sidebar's sections never overlap and the stream form
shows its placeholders whole, an unknown session shows nothing of the previous one; screenshots of
the session view and the stream form at a desktop and a phone size go to ``SHOTS``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from chromium_browser import needs_chromium, new_page
from live_server import LiveServer, analysed_upload
from videolens.video.synthetic import Shot, write_clip

SHOTS = Path("/tmp/videolens-web-shots")
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
# name: (width, height) of a generated clip
SHAPES = {"wide": (640, 360), "classic": (640, 480), "portrait": (360, 640)}

expect.set_options(timeout=30_000)
pytestmark = [needs_chromium, pytest.mark.timeout(900)]

# Where the video element is, whether anything clips or covers it, and the viewport.
PLAYER_BOX = """
(video) => {
  video.scrollIntoView({block: "center"});
  const box = video.getBoundingClientRect();
  const clippers = [];
  for (let el = video.parentElement; el; el = el.parentElement) {
    const style = getComputedStyle(el);
    if (style.overflowX === "visible" && style.overflowY === "visible") continue;
    const r = el.getBoundingClientRect();
    if (box.top < r.top - 0.5 || box.bottom > r.bottom + 0.5 || box.left < r.left - 0.5
        || box.right > r.right + 0.5) clippers.push(el.id || el.className || el.tagName);
  }
  // The controls bar runs along the bottom: nothing may lie over it.
  const controls = [0.1, 0.5, 0.9].map((x) => document.elementFromPoint(
    box.left + x * box.width, box.bottom - 12));
  return {
    top: box.top, bottom: box.bottom, left: box.left, right: box.right,
    width: box.width, height: box.height, clippers,
    controlsCovered: controls.filter((el) => el !== video)
      .map((el) => el && (el.id || el.className)),
    viewportWidth: innerWidth, viewportHeight: innerHeight,
    videoWidth: video.videoWidth, videoHeight: video.videoHeight, controls: video.controls,
  };
}
"""

# The width each field of the stream form needs for its placeholder, and the width it has.
PLACEHOLDER_FIT = """
(form) => [...form.querySelectorAll("input[placeholder]")].map((input) => {
  const style = getComputedStyle(input);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {id: input.id, needs: context.measureText(input.placeholder).width, room};
})
"""


@pytest.fixture(scope="module")
def sessions(shared_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One analysed session per shape: name -> session id."""
    folder = tmp_path_factory.mktemp("shapes")
    made = {}
    with httpx.Client(base_url=shared_server.url, timeout=60) as client:
        for name, (width, height) in SHAPES.items():
            shots = [Shot(2.0, (200, 60, 40), name.upper()), Shot(2.0, (40, 90, 200), "TWO")]
            clip = write_clip(folder / f"{name}.mp4", shots, width=width, height=height)
            made[name] = analysed_upload(shared_server, client, clip.path, f"{name}.mp4")
    return made


@pytest.fixture(params=list(SIZES))
def page(
    request: pytest.FixtureRequest, browser: Browser, page_errors: list[str]
) -> Iterator[Page]:
    width, height = SIZES[request.param]
    with new_page(browser, page_errors, viewport={"width": width, "height": height}) as opened:
        opened.size_name = request.param  # type: ignore[attr-defined]
        opened.on(
            "console",
            lambda message: (
                page_errors.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        yield opened
        assert page_errors == []


def _open_session(page: Page, live: LiveServer, session_id: str) -> None:
    page.goto(f"{live.url}/#/sessions/{session_id}")
    expect(page.locator("#session-status")).to_have_text("completed")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_whole_picture_and_the_controls_are_visible(
    page: Page, shared_server: LiveServer, sessions: dict[str, str], shape: str
) -> None:
    _open_session(page, shared_server, sessions[shape])
    box: dict[str, Any] = page.locator("#player").evaluate(PLAYER_BOX)
    width, height = SHAPES[shape]
    assert (box["videoWidth"], box["videoHeight"]) == (width, height)
    assert box["controls"] is True
    assert box["clippers"] == [], box  # no ancestor cuts the element (and so its controls) off
    assert box["controlsCovered"] == [], box
    assert box["top"] >= 0 and box["bottom"] <= box["viewportHeight"], box
    assert box["left"] >= 0 and box["right"] <= box["viewportWidth"], box
    # The element is no taller than its picture needs at its width: never a crop of the frame.
    assert box["height"] <= box["width"] * height / width + 1, box
    SHOTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"session-{shape}-{page.size_name}.png"))  # type: ignore[attr-defined]


def test_the_stream_form_overlaps_nothing_and_shows_its_placeholders(
    page: Page, shared_server: LiveServer
) -> None:
    page.goto(shared_server.url)
    if page.locator("#sessions-toggle").is_visible():
        page.locator("#sessions-toggle").click()
    page.locator("#stream-new > summary").click()
    expect(page.locator("#stream-form")).to_be_visible()
    expect(page.locator("#streams-empty")).to_have_text("No live streams yet.")
    empty = page.locator("#streams-empty").bounding_box()
    heading = page.locator("#sessions-title").bounding_box()
    streams = page.locator("section.streams").bounding_box()
    assert empty and heading and streams
    assert empty["y"] + empty["height"] <= heading["y"], (empty, heading)
    assert streams["y"] + streams["height"] <= heading["y"], (streams, heading)
    for field in page.locator("#stream-form").evaluate(PLACEHOLDER_FIT):
        assert field["needs"] <= field["room"], field
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"stream-form-{page.size_name}.png"))  # type: ignore[attr-defined]


def test_an_unknown_session_shows_nothing_of_the_previous_one(
    page: Page, shared_server: LiveServer, sessions: dict[str, str]
) -> None:
    _open_session(page, shared_server, sessions["wide"])
    expect(page.locator("#moments .moment")).not_to_have_count(0)
    page.evaluate("location.hash = '#/sessions/nosuchsession0'")
    expect(page.locator("#session-title")).to_have_text("Session unavailable")
    expect(page.locator("#session-error")).to_contain_text("does not exist")
    for hidden in ("#session-workspace", "#player", "#moments", "#chat-input", "#facts",
                   "#moments-count", "#delete-button", "#export-menu", "#rerun-menu",
                   "#analysis"):  # fmt: skip
        expect(page.locator(hidden)).to_be_hidden()
    assert page.locator("#moments .moment").count() == 0
    assert page.locator("#player").get_attribute("src") is None
    # And back: the real session shows again, whole.
    page.evaluate(f"location.hash = '#/sessions/{sessions['wide']}'")
    expect(page.locator("#moments .moment")).not_to_have_count(0)
    expect(page.locator("#session-workspace")).to_be_visible()
