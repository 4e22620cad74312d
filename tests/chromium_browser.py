"""Debian's Chromium for the web UI tests: where it is, how it is started, where screenshots go,
and a page of it that records its uncaught errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
)


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless with ``CHROMIUM_ARGS``, closed when the block exits."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def new_page(
    browser: Browser, errors: list[str] | None = None, **context_options: Any
) -> Iterator[Page]:
    """A page in a context of its own (``context_options`` as ``Browser.new_context`` takes them),
    closed with it when the block exits; the page's uncaught exceptions go into ``errors`` where
    given."""
    context = browser.new_context(**context_options)
    try:
        page = context.new_page()
        if errors is not None:
            page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
    finally:
        context.close()
