"""Browser tests' plumbing: Debian's Chromium driven by Playwright and static sites on loopback.

Playwright's own browser download is never used: the binary is the `chromium` Debian package (`make browser-deps`).
Every wait is bounded by TIMEOUT_MS.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: no GPU, no QUIC, no first-run, update, sync or background traffic.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (make browser-deps installs it)"
)


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Chromium for a module; Playwright's launch() gives it a fresh temporary profile (user-data-dir)."""
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def opened_page(browser: Browser, **context_options: Any) -> Iterator[Page]:
    """A page in its own context (cookies, storage, JavaScript on or off), closed afterwards; every wait bounded."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_site(directory: Path, port: int) -> Iterator[str]:
    """The files of `directory` over HTTP on loopback `port` (another origin than the service's); yields its origin."""
    handler = functools.partial(_QuietFiles, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def screenshot_showing(page: Page, path: Path, shown: Sequence[Locator]) -> None:
    """Save the whole page's screenshot to `path`, checked to be worth showing: the image is the page's size, and every
    element of `shown` is visible, lies inside the image, and is drawn there (its region is not one flat colour)."""
    for locator in shown:
        expect(locator.first).to_be_attached()  # each is there (waits, bounded, like every expect here)
    elements = [element for locator in shown for element in locator.all()]
    for element in elements:
        expect(element).to_be_visible()
    page.screenshot(path=str(path), full_page=True)
    # Bounding boxes are relative to the viewport; the full-page image starts at the top of the document.
    width, height, scroll_x, scroll_y = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight, scrollX, scrollY]"
    )
    with Image.open(path) as image:
        assert image.size == (width, height)
        grey = image.convert("L")
    for element in elements:
        box = element.bounding_box()
        assert box is not None and box["width"] >= 1 and box["height"] >= 1, element
        left, top = round(box["x"] + scroll_x), round(box["y"] + scroll_y)
        right, bottom = left + round(box["width"]), top + round(box["height"])
        assert 0 <= left < right <= width and 0 <= top < bottom <= height, (element, box)
        darkest, lightest = grey.crop((left, top, right, bottom)).getextrema()
        assert darkest != lightest, f"{element} is blank in the screenshot"
