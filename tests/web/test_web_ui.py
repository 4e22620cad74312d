"""The web UI in a real browser (Debian's Chromium via Playwright) against the real API server.

Upload a generated clip, watch the live progress reach completion and the timeline fill, click a
moment and check that the player seeks; a non-video upload shows a clear error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from chromium_browser import ARTIFACTS, needs_chromium, new_page
from live_server import analysed_upload, serving
from session_view import ask_in_chat, open_session
from videolens.config import Settings
from videolens.video.synthetic import write_clip

ANALYSIS_TIMEOUT_MS = 180_000
# Generous: uploads and probes share the machine with the analysis workers.
expect.set_options(timeout=30_000)

pytestmark = [needs_chromium, pytest.mark.timeout(600)]

# Every status the session badge shows, in order: proves progress was seen live.
RECORD_STATUSES = """
window.__statuses = [];
document.addEventListener("DOMContentLoaded", () => {
  const badge = document.getElementById("session-status");
  new MutationObserver(() => {
    const s = badge.textContent;
    if (s && window.__statuses.at(-1) !== s) window.__statuses.push(s);
  }).observe(badge, {childList: true, characterData: true, subtree: true});
});
"""


@pytest.fixture
def page(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    size = {"width": 1440, "height": 1000}
    with new_page(browser, page_errors, viewport=size, color_scheme="light") as opened:
        opened.add_init_script(RECORD_STATUSES)
        yield opened


def test_upload_shows_progress_fills_the_timeline_and_seeks(
    settings: Settings, tmp_path: Path, page: Page, page_errors: list[str]
) -> None:
    clip = write_clip(tmp_path / "harbour walk.mp4")  # 22 s, five shots with on-screen words
    with serving(settings) as live:
        page.goto(live.url)
        expect(page.get_by_role("heading", name="See what happens in your video.")).to_be_visible()

        page.set_input_files("#file-input", str(clip.path))

        expect(page).to_have_url(re.compile(r"#/sessions/[a-z0-9]{12}$"))
        session_id = page.url.rsplit("/", 1)[-1]
        upload_value = page.locator("#upload-progress").evaluate("p => p.value / p.max")
        assert upload_value == pytest.approx(1.0)
        expect(page.locator("#session-title")).to_have_text("harbour walk.mp4")

        expect(page.locator("#analysis-stage")).to_have_text(
            "Analysis complete", timeout=ANALYSIS_TIMEOUT_MS
        )
        statuses = page.evaluate("window.__statuses")
        assert statuses[0] == "running" and statuses[-1] == "completed", statuses

        document = httpx.get(f"{live.url}/v1/sessions/{session_id}", timeout=30).json()
        total = document["frames"]
        assert document["status"] == "completed" and total >= 5
        bar = page.locator("#analysis-progress")
        assert bar.evaluate("p => p.value === p.max")
        expect(page.locator("#analysis-numbers")).to_have_text(f"{total} / {total} frames")

        # The timeline: one card per analysed frame, each with a loaded thumbnail and mm:ss.
        cards = page.locator("#moments .moment")
        expect(cards).to_have_count(total)
        expect(page.locator("#moments-count")).to_have_text(str(total))
        expect(page.locator("#scrubber-marks .scrubber-mark")).to_have_count(total)
        for i in range(total):
            card = cards.nth(i)
            card.scroll_into_view_if_needed()
            expect(card.locator(".moment-time")).to_have_text(re.compile(r"^\d\d:\d\d$"))
            expect(card.locator(".moment-desc")).not_to_be_empty()
            card.locator("img").evaluate(
                "img => img.complete && img.naturalWidth > 0 || new Promise((ok, fail) => {"
                " img.onload = ok; img.onerror = () => fail(new Error('thumbnail failed')); })"
            )
        # The on-screen words of the clip show up as text chips.
        chips = page.locator("#moments .chip-text").all_inner_texts()
        assert {"WELCOME", "HARBOR", "SUNRISE"} <= set(chips)

        # Clicking a later moment seeks the player to it.
        target = cards.filter(has_text="SUNRISE").first
        seconds = float(target.get_attribute("data-t"))
        assert seconds > 0
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        assert page.evaluate("document.getElementById('player').currentTime") == 0
        target.click()
        page.wait_for_function(
            "t => Math.abs(document.getElementById('player').currentTime - t) < 0.25", arg=seconds
        )
        expect(target).to_have_attribute("aria-current", "true")
        page.wait_for_function("() => !document.getElementById('player').seeking")

        # The session list shows the new session, completed.
        item = page.locator(f'.session-item[data-session-id="{session_id}"]')
        expect(item).to_contain_text("harbour walk.mp4")
        expect(item.locator(".badge")).to_have_text("completed")

        ARTIFACTS.mkdir(exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "web-ui.png"))
    assert page_errors == []


def test_a_rejected_file_shows_a_clear_error(
    settings: Settings, tmp_path: Path, page: Page, page_errors: list[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: not a video\n" * 40)
    with serving(settings) as live:
        page.goto(live.url)
        page.set_input_files("#file-input", str(notes))

        alert = page.get_by_role("alert").filter(has_text="notes.txt")
        expect(alert).to_be_visible()
        expect(alert).to_contain_text("“notes.txt” was rejected.")
        expect(alert).to_contain_text(re.compile(r"not a video", re.IGNORECASE))
        # Nothing else happened: still on the start page, no session was created, and the
        # drop zone is ready for the next file.
        expect(page.locator("#welcome")).to_be_visible()
        expect(page.locator("#sessions-empty")).to_be_visible()
        expect(page.locator("#file-input")).to_be_enabled()
        sessions = httpx.get(f"{live.url}/v1/sessions", timeout=30).json()["sessions"]
        assert sessions == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-ui-rejected.png"))
    assert page_errors == []


def test_chat_citations_and_chapters_seek_the_player(
    settings: Settings, tmp_path: Path, page: Page, page_errors: list[str]
) -> None:
    """The real chat endpoint (retrieval-only answers: no chat model is configured in tests)
    streams an answer whose ``[mm:ss]`` citations seek the player; the session's own chapters
    (shot-based without a chat model) seek it too."""
    clip = write_clip(tmp_path / "demo.mp4")
    with serving(settings) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        session_id = analysed_upload(live, client, clip.path, "demo.mp4")

        open_session(page, live.url, session_id)
        ask_in_chat(page, "When is SUNRISE on screen?")
        answer = page.locator('.chat-msg[data-role="assistant"]')
        expect(answer).to_contain_text("SUNRISE")
        expect(answer.locator("button.cite")).not_to_have_count(0)
        assert "[" not in answer.inner_text(), "a citation was left as text"
        citation = answer.get_by_role("button", name="Seek to 00:12")
        citation.click()
        page.wait_for_function(
            "() => Math.abs(document.getElementById('player').currentTime - 12) < 0.25"
        )

        page.get_by_role("tab", name="Summary").click()
        expect(page.locator("#chapters button")).not_to_have_count(0)
        chapter = page.locator("#chapters button").nth(1)
        start = parse_timestamp(chapter.locator("time").inner_text())
        chapter.click()
        page.wait_for_function(
            "t => Math.abs(document.getElementById('player').currentTime - t) < 0.25", arg=start
        )
        page.get_by_role("tab", name="Chat").click()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-ui-chat.png"))
    assert page_errors == []


def parse_timestamp(text: str) -> float:
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def test_what_is_said_shows_between_the_moments_and_seeks(
    settings: Settings, tmp_path: Path, page: Page, page_errors: list[str]
) -> None:
    from speech_clips import make_clip

    clip = make_clip(
        tmp_path / "spoken.mp4", 12.0, [(6.0, "please bring the red box to the kitchen table")]
    )
    with serving(settings) as live:
        page.goto(live.url)
        page.set_input_files("#file-input", str(clip.path))
        expect(page.locator("#analysis-stage")).to_have_text(
            "Analysis complete", timeout=ANALYSIS_TIMEOUT_MS
        )
        said = page.locator("#moments .said")
        expect(said).to_have_count(1)
        expect(said.locator(".said-text")).to_contain_text(re.compile("kitchen table", re.I))
        expect(said.locator(".said-time")).to_have_text("00:06")
        # It sits between the moments before and after the time it was said.
        order = page.locator("#moments > li").evaluate_all(
            "items => items.map(li => Number(li.querySelector('[data-t]').dataset.t))"
        )
        assert order == sorted(order)
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        said.click()
        seconds = float(said.get_attribute("data-t"))
        page.wait_for_function(
            "t => Math.abs(document.getElementById('player').currentTime - t) < 0.25", arg=seconds
        )
        ARTIFACTS.mkdir(exist_ok=True)
        said.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "web-ui-speech.png"))
    assert page_errors == []


def _mpeg4_avi(source: Path, target: Path) -> Path:
    """Re-encode ``source`` as MPEG-4 part 2 in AVI, as old cameras and OpenCV write it."""
    import av

    with av.open(str(source)) as inp, av.open(str(target), "w", format="avi") as out:
        video = inp.streams.video[0]
        stream = out.add_stream("mpeg4", rate=round(video.average_rate or 25))
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, "yuv420p"
        for index, frame in enumerate(inp.decode(video)):
            pixels = frame.to_ndarray(format="rgb24")
            converted = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(
                format="yuv420p"
            )
            converted.pts = index
            out.mux(stream.encode(converted))
        out.mux(stream.encode(None))
    return target


def test_an_avi_upload_plays_in_the_browser(
    settings: Settings, tmp_path: Path, page: Page, page_errors: list[str]
) -> None:
    """Chromium cannot play an MPEG-4 AVI; the player gets an H.264 copy and plays it."""
    clip = write_clip(tmp_path / "clip.mp4")
    avi = _mpeg4_avi(clip.path, tmp_path / "camera.avi")
    with serving(settings) as live:
        page.goto(live.url)
        can_play = page.evaluate(
            """() => { const v = document.createElement("video");
                       return [v.canPlayType("video/x-msvideo"),
                               v.canPlayType('video/mp4; codecs="avc1.64001f"')]; }"""
        )
        assert can_play[0] == "", "this Chromium plays AVI: the test proves nothing"
        assert can_play[1] in ("probably", "maybe")

        page.set_input_files("#file-input", str(avi))
        expect(page).to_have_url(re.compile(r"#/sessions/[a-z0-9]{12}$"))
        page.wait_for_function(
            "() => document.getElementById('player').readyState >= 2", timeout=120_000
        )
        player = page.locator("#player")
        assert player.evaluate("v => v.error") is None
        duration = player.evaluate("v => v.duration")
        assert duration == pytest.approx(clip.duration_s, abs=0.3)
        player.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.getElementById('player').currentTime > 0.5")
        expect(page.locator("#player-message")).to_be_hidden()
    assert page_errors == []


def test_a_video_that_cannot_be_converted_says_why_over_the_player(
    settings: Settings, tmp_path: Path, page: Page, page_errors: list[str]
) -> None:
    """If no playable copy can be made, the page says so instead of a dead player at 0:00."""
    clip = write_clip(tmp_path / "clip.mp4")
    avi = _mpeg4_avi(clip.path, tmp_path / "camera.avi")
    with serving(settings) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        with avi.open("rb") as handle:
            response = client.post("/v1/videos", files={"file": ("camera.avi", handle)})
        assert response.status_code == 202, response.text
        session_id = response.json()["session_id"]
        session_dir = settings.data_dir / "sessions" / session_id
        # The reason a copy failed is kept so that it is not retried on every request.
        (session_dir / "playable.error").write_text("its video stream is damaged")
        page.goto(f"{live.url}/#/sessions/{session_id}")
        message = page.locator("#player-message")
        expect(message).to_be_visible()
        expect(message).to_contain_text("cannot play in a browser: its video stream is damaged")
    assert page_errors == []
