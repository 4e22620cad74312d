"""The web UI's session view as the browser tests drive it: opening a session until its moments
and its player are there, asking a question in its chat."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def open_session(page: Page, base_url: str, session_id: str) -> None:
    """Open the session's view; back once its moments are listed and its player has the video's
    metadata."""
    page.goto(f"{base_url}/#/sessions/{session_id}")
    expect(page.locator("#moments .moment")).not_to_have_count(0)
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")


def ask_in_chat(page: Page, question: str) -> None:
    """Ask ``question`` in the Chat tab of the session open on ``page``."""
    page.get_by_role("tab", name="Chat").click()
    page.get_by_label("Ask about this video").fill(question)
    page.keyboard.press("Enter")
