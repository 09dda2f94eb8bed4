"""Headless Chromium (Debian's `chromium`, installed by .ci/run) driven by Playwright: the real browser the
consent and sign-in tests click through, where the demo's `Browser` (httpx) stands in elsewhere."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Playwright, Route, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
"""No sandboxing (CI runs as root), nothing started in the background that would reach beyond loopback."""


def launch(playwright: Playwright) -> Browser:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)


def chromium_sign_in(person: str, authorization_url: str) -> str:
    """Sign in as `person` on the identity provider's page at `authorization_url` in headless Chromium, choosing
    the user and pressing Sign in as a person would. Returns the redirect URI with the code (or the provider's
    error) the browser was sent to; that request is answered here, as the MCP client's loopback listener would answer it (RFC 8252)."""
    redirect = parse_qs(urlsplit(authorization_url).query)["redirect_uri"][0]
    landed: list[str] = []

    def capture(route: Route) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="Signed in: you can close this window.")

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.route(f"{redirect}?*", capture)
            page.goto(authorization_url)
            if not landed:  # else the provider refused the request and sent the browser back with an error
                assert page.locator("#user").count() == 1, f"not the sign-in page: {page.inner_text('body')[:500]}"
                page.select_option("#user", person)
                page.click("#sign-in")
                page.wait_for_url(f"{redirect}?*")
        finally:
            browser.close()
    assert len(landed) == 1, landed
    return landed[0]
