"""A real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, for the dashboard's browser tests.

Playwright never downloads a browser here: it is pointed at the system one. The flags keep Chromium from
reaching for Google's servers, which a closed network refuses many times a second."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS")
"""Set to a folder (docs/screenshots) to keep each page's picture there; otherwise they go to a temporary folder."""


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/setup --test installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def shrink(path: Path) -> None:
    """Make a committed screenshot about 2.5 times smaller: 256 colours, without dithering, are plenty for
    flat pages."""
    from PIL import Image

    with Image.open(path) as picture:
        flat = picture.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    flat.save(path, optimize=True)


def screenshot_folder(tmp_path: Path) -> Path:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page, server, name: str) -> None:  # type: ignore[no-untyped-def]
    """Sign ``name`` in (tests.dashboard.PASSWORD) through the sign-in page the dashboard sends a stranger to."""
    from tests.dashboard import PASSWORD

    page.goto(server.url + "/staff/")
    assert "/staff/sign-in" in page.url
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/staff/")


def keep(page, tmp_path: Path, name: str) -> Path:  # type: ignore[no-untyped-def]
    """A full-page screenshot named ``name`` (kept in docs/screenshots when DASHBOARD_SCREENSHOTS says so)."""
    path = screenshot_folder(tmp_path) / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if SCREENSHOTS:
        shrink(path)
    return path
