"""The web UI works under the Content-Security-Policy the API sends: a real Chromium, enforcing
the policy, opens a session (list, moments, player, chat) and reports no violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from chromium_browser import CHROMIUM, launched_chromium, new_page
from live_server import LiveServer, analysed_upload, serving
from session_view import ask_in_chat, open_session
from videolens.config import Settings
from videolens.video.synthetic import write_clip

# Every violation the page meets, as the browser reports it to the page itself.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`));
"""

INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.__ran = true";
  document.body.append(script);
}"""

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs chromium at /usr/bin")


@pytest.fixture
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    with serving(settings.model_copy(update={"backend": "basic", "speech": "off"})) as server:
        yield server


def test_the_web_ui_meets_no_policy_violation(
    live: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    clip = write_clip(tmp_path / "demo.mp4")
    with httpx.Client(base_url=live.url, timeout=60) as client:
        session_id = analysed_upload(live, client, clip.path, "demo.mp4")
    errors: list[str] = []
    with new_page(browser, errors, viewport={"width": 1366, "height": 900}) as page:
        page.add_init_script(RECORD_VIOLATIONS)
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))

        open_session(page, live.url, session_id)
        ask_in_chat(page, "What is on screen?")
        expect(page.locator('.chat-msg[data-role="assistant"]')).not_to_have_count(0)
        page.get_by_role("tab", name="Summary").click()

        violations: list[str] = page.evaluate("window.__violations")
        said = [line for line in console if "Content Security Policy" in line]
        # The recorder works: an inline script, which the policy forbids, is reported.
        page.evaluate(INLINE_SCRIPT)
        page.wait_for_function("() => window.__violations.length > 0")
        probe: list[str] = page.evaluate("window.__violations")
    assert violations == []
    assert len(probe) == 1 and probe[0].startswith("script-src"), probe
    assert said == []
    assert errors == []
