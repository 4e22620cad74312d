"""Live streams in the web UI (Debian's Chromium via Playwright) against the real API server, its
in-process workers and the real Temporal dev server, watching a real live source: ffmpeg sending
a generated clip with a word on screen as MPEG-TS over UDP.

One user's path: start a stream from the sidebar form (a bad rule first, which the form explains),
see it listed and live, the latest frame load and change, the timeline grow, the word's event
appear with its local wall-clock time, a dropped source shown as a gap, then stop it from the UI.
The server requires an API key, so images and the WebSocket prove they carry ``?api_key=``.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from chromium_browser import ARTIFACTS, needs_chromium
from live_server import serving
from videolens.api.security import KeyStore
from videolens.config import Settings

# Far from the machine's own zone (UTC here), with a half hour: a time shown in UTC, or with the
# offset applied twice, cannot pass for local time.
BROWSER_ZONE = "Asia/Kolkata"
# Model and user text is inserted as text: markup in a name must show as typed, and never run.
NAME = '<img src=x onerror="window.__injected = 1">Loading bay & "door"'
expect.set_options(timeout=30_000)

pytestmark = [needs_chromium, pytest.mark.timeout(240)]


def _load(name: str, path: Path) -> ModuleType:
    """A test helper module loaded by path under its own name (as test_web_ui loads the API
    harness), so it cannot be confused with other modules of the same file name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


TESTS = Path(__file__).resolve().parents[1]
media = _load("videolens_stream_test_media", TESTS / "streams" / "stream_media.py")


@pytest.fixture
def page(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000},
        color_scheme="light",
        locale="en-US",
        timezone_id=BROWSER_ZONE,
    )
    opened = context.new_page()
    opened.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()


def local_clock(at: float) -> str:
    """``HH:MM:SS`` of a Unix time in the browser's zone (what the page must show)."""
    return datetime.fromtimestamp(at, ZoneInfo(BROWSER_ZONE)).strftime("%H:%M:%S")


IMAGE_LOADED = """seq => {
  const img = document.getElementById("stream-image");
  return !img.hidden && img.dataset.seq !== seq && img.complete && img.naturalWidth > 0
    && img.src.includes(`/frames/${img.dataset.seq}/image`) ? img.dataset.seq : null;
}"""


def test_a_live_stream_is_started_watched_and_stopped_in_the_browser(
    stream_settings: Settings, tmp_path: Path, page: Page, page_errors: list[str]
) -> None:
    _, key = KeyStore(stream_settings.data_dir / "keys.json").create("viewer")
    clip = media.word_clip(tmp_path)
    word = media.WORD
    with (
        media.udp_sender(clip) as (sender, url),
        serving(stream_settings) as live,
        live.client(key) as http,
    ):
        page.add_init_script(f"localStorage.setItem('videolens.apiKey', {key!r})")
        page.goto(live.url)
        expect(page.locator("#streams-empty")).to_have_text("No live streams yet.")

        # A rule the server does not know: the form says why and points at the field.
        page.get_by_text("Watch a live stream", exact=True).click()
        page.get_by_label("Source URL").fill(url)
        page.get_by_label("Name").fill(NAME)
        rules = page.get_by_label("Rules")
        rules.fill("colour:red")
        page.get_by_role("button", name="Start watching").click()
        error = page.locator("#stream-form-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("colour:red")
        expect(rules).to_have_attribute("aria-invalid", "true")
        expect(rules).to_be_focused()
        assert http.get("/v1/streams").json()["streams"] == []

        rules.fill(f"word:{word}, shot")
        page.get_by_role("button", name="Start watching").click()
        expect(page).to_have_url(re.compile(r"#/streams/[a-z0-9]{12}$"))
        stream_id = page.url.rsplit("/", 1)[-1]
        expect(error).to_be_hidden()

        # Listed, live, named exactly as typed: the markup is text.
        item = page.locator(f'.stream-item[data-stream-id="{stream_id}"]')
        expect(item.locator(".session-name")).to_have_text(NAME)
        expect(page.locator("#stream-title")).to_have_text(NAME)
        expect(page.locator("#stream-status")).to_have_text("live", timeout=60_000)
        expect(page.locator("#stream-meta")).to_contain_text(f"rules: word:{word.lower()}, shot")
        assert page.locator("#stream-title img, #stream-list img").count() == 0
        assert page.evaluate("window.__injected") is None

        # The latest frame loads (through ?api_key=, which the server requires), then changes.
        first = page.wait_for_function(IMAGE_LOADED, arg="", timeout=60_000).json_value()
        image_src = page.locator("#stream-image").get_attribute("src") or ""
        assert "api_key=" in image_src
        anonymous = httpx.get(f"{live.url}/v1/streams/{stream_id}/frames/{first}/image")
        assert anonymous.status_code == 401
        assert httpx.get(f"{live.url}{image_src}").status_code == 200
        expect(page.locator("#stream-frame-tag")).to_have_text("Live")
        cards = page.locator("#stream-timeline > li")
        grown_from = cards.count()
        assert grown_from >= 1
        later = page.wait_for_function(IMAGE_LOADED, arg=first, timeout=30_000).json_value()
        assert int(later) > int(first)
        # The rolling timeline grew (frames pushed on the WebSocket), newest first.
        page.wait_for_function(
            "n => document.querySelectorAll('#stream-timeline > li').length > n", arg=grown_from
        )
        seqs = [int(s) for s in cards.evaluate_all("items => items.map(li => li.dataset.seq)")]
        assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
        assert page.locator("#stream-strip .stream-strip-frame").count() == len(seqs)

        # The word's event, with the time it happened in the browser's own time zone.
        word_rule = page.locator(".chip-rule", has_text=f"word:{word.lower()}")
        word_events = page.locator("#stream-events .stream-event").filter(has=word_rule)
        expect(word_events.first).to_contain_text(f"'{word}' on screen", timeout=60_000)
        events = http.get(f"/v1/streams/{stream_id}/events").json()["events"]
        stored = next(e for e in events if e["rule"] == f"word:{word.lower()}")
        event_card = page.locator(f'#stream-events [data-event-id="{stored["event_id"]}"]')
        expect(event_card).to_contain_text(f"'{word}' on screen")
        expect(event_card.locator(".moment-time")).to_contain_text(local_clock(stored["at"]))
        expect(event_card.locator("img")).to_have_attribute("src", re.compile(r"api_key="))
        expect(page.locator("#stream-events-count")).not_to_be_empty()
        expect(page.locator("#stream-strip .stream-strip-event")).not_to_have_count(0)

        # Picking a frame holds it in the viewer until "Back to live".
        picked = cards.last
        picked_seq = picked.get_attribute("data-seq")
        picked.locator("button").click()
        expect(page.locator("#stream-frame-tag")).to_have_text("Picked frame")
        expect(page.locator("#stream-image")).to_have_attribute("data-seq", str(picked_seq))
        page.get_by_role("button", name="Back to live").click()
        expect(page.locator("#stream-frame-tag")).to_have_text("Live")

        # The source drops: the page says so while it reconnects, then shows the gap.
        sender.kill()
        expect(page.locator("#stream-status")).to_have_text("reconnecting", timeout=30_000)
        expect(page.locator("#stream-note")).to_contain_text("No picture now")
        sender.start()
        gaps = page.locator("#stream-gaps .stream-gap")
        expect(gaps.filter(has_text="dropped")).not_to_have_count(0, timeout=60_000)
        stored_gaps = http.get(f"/v1/streams/{stream_id}").json()["gaps"]
        dropped = next(g for g in stored_gaps if "dropped" in g["reason"])
        span = f"{local_clock(dropped['start_at'])}–{local_clock(dropped['end_at'])}"
        expect(gaps.filter(has_text=f"No picture {span}")).to_contain_text(dropped["reason"])
        expect(page.locator("#stream-strip .stream-strip-gap")).not_to_have_count(0)
        expect(page.locator("#stream-status")).to_have_text("live", timeout=30_000)

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-ui-streams.png"))

        # Stop from the page: it ends, the list says so, the stream is stopped on the server.
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(page.locator("#stream-status")).to_have_text("stopped", timeout=40_000)
        expect(page.get_by_role("button", name="Stop", exact=True)).to_be_hidden()
        expect(page.locator("#stream-frame-tag")).to_have_text("Last frame")
        expect(item.locator(".badge")).to_have_text("stopped")
        stopped = http.get(f"/v1/streams/{stream_id}?timeline=0").json()
        assert stopped["status"] == "stopped"

        # Opened afresh, the stopped stream shows what it kept: frames, events, the gap.
        page.reload()
        expect(page.locator("#stream-status")).to_have_text("stopped")
        page.wait_for_function(IMAGE_LOADED, arg="")
        expect(page.locator("#stream-image")).to_have_attribute(
            "data-seq", str(stopped["latest"]["seq"])
        )
        expect(page.locator("#stream-events .stream-event")).to_have_count(stopped["events_total"])
        expect(page.locator("#stream-gaps .stream-gap")).to_have_count(len(stopped["gaps"]))
        assert any("dropped" in g["reason"] for g in stopped["gaps"])
        expect(page.locator("#stream-strip-end")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    assert page_errors == []


def test_without_its_websocket_the_page_follows_a_stream_by_polling(
    stream_settings: Settings, tmp_path: Path, page: Page, page_errors: list[str]
) -> None:
    """A proxy that refuses WebSocket upgrades: the page still shows new frames and events, and
    sees the stream stop."""
    refused: list[str] = []

    def refuse(socket: WebSocketRoute) -> None:
        refused.append(socket.url)
        socket.close()

    page.route_web_socket(re.compile(r"/v1/streams/[a-z0-9]+/ws"), refuse)
    clip = media.word_clip(tmp_path)
    with (
        media.udp_sender(clip) as (_, url),
        serving(stream_settings) as live,
        live.client() as http,
    ):
        created = http.post("/v1/streams", json={"url": url, "rules": [f"word:{media.WORD}"]})
        assert created.status_code == 201, created.text
        stream_id = created.json()["stream_id"]
        page.goto(f"{live.url}/#/streams/{stream_id}")
        first = page.wait_for_function(IMAGE_LOADED, arg="", timeout=60_000).json_value()
        page.wait_for_function(IMAGE_LOADED, arg=first, timeout=30_000)
        expect(page.locator("#stream-events .stream-event").first).to_contain_text(
            f"'{media.WORD}' on screen", timeout=60_000
        )
        assert refused, "the page never tried its WebSocket"
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(page.locator("#stream-status")).to_have_text("stopped", timeout=40_000)
        expect(page.locator(f'.stream-item[data-stream-id="{stream_id}"] .badge')).to_have_text(
            "stopped"
        )
    assert page_errors == []
