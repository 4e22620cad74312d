"""Fixtures of the web UI tests: one headless Chromium per module, and the page's errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chromium_browser import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import Browser, sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught exceptions in the page; the tests that take it expect none."""
    return []
