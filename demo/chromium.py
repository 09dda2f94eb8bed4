"""Signing in on the identity provider's page in headless Chromium (Playwright driving the machine's own
Chromium; Debian's `chromium`, which .ci/run installs), as a person would: the user chosen, Sign in pressed.
Where the machine has no Chromium the demo's `Browser` (httpx, demo/browser.py) follows the same page's form
instead, and the demo says so."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright, Route

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


def executable() -> Path:
    return Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def available() -> bool:
    """Chromium on this machine (CHROMIUM, default /usr/bin/chromium) and Playwright installed."""
    return executable().exists() and importlib.util.find_spec("playwright") is not None


def launch(playwright: Playwright) -> Browser:
    if not executable().exists():
        raise FileNotFoundError(f"{executable()} is missing: `apt-get install chromium` (.ci/run does)")
    return playwright.chromium.launch(executable_path=str(executable()), args=FLAGS, headless=True)


def sign_in(person: str, authorization_url: str, *, answer_redirect: bool) -> str:
    """Sign in as `person` on the identity provider's page at `authorization_url`; returns the redirect URI
    with the code (or the provider's error) the browser was sent to. `answer_redirect`: that request is
    answered here, as an MCP client's loopback listener would (RFC 8252); otherwise the browser goes there
    (mcp-connect's own listener answers). Call it outside an event loop (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    redirect = parse_qs(urlsplit(authorization_url).query)["redirect_uri"][0]
    landed: list[str] = []

    def capture(route: Route) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="Signed in: you can close this window.")

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            if answer_redirect:
                page.route(f"{redirect}?*", capture)
            else:
                page.on(
                    "request", lambda request: landed.append(request.url) if request.url.startswith(redirect) else None
                )
            page.goto(authorization_url)
            if not landed:  # else the provider refused the request and sent the browser back with an error
                if page.locator("#user").count() != 1:
                    raise RuntimeError(f"not the sign-in page: {page.inner_text('body')[:500]}")
                page.select_option("#user", person)
                page.click("#sign-in")
                page.wait_for_url(f"{redirect}?*")
        finally:
            browser.close()
    if len(landed) != 1:
        raise RuntimeError(f"expected one return to {redirect}, saw {len(landed)}")
    return landed[0]
