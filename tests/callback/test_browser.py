"""The consent pages in a real browser: headless Chromium (Debian's `chromium`, installed by
.ci/run) driven by Playwright, clicking the GitHub stand-in's and the callback's buttons."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

from demo.chromium import launch
from tests.callback.conftest import Deployment
from tests.sandbox.helpers import call_tool, mint


async def first_link(mcp_url: str, token: str) -> str:
    from tests.server.conftest import connect

    async with connect(mcp_url, headers={"Authorization": f"Bearer {token}"}) as client:
        result = await client.call_tool("get_user_profile", {})
    return str(result.structured_content["authorization_required"]["url"])


def test_user_clicks_through_github_consent_and_the_confirmation(deployment: Deployment, tmp_path: Path) -> None:
    alice = mint(deployment.stack.sandbox.url, "alice")
    link = asyncio.run(first_link(deployment.mcp, alice))  # the server's one-time link, to the callback
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(link)
            page.wait_for_selector("#sign-in")  # the callback first asks who is opening the link
            page.screenshot(path=str(tmp_path / "sign-in.png"))
            page.click("#sign-in")
            page.wait_for_selector("#authorize")  # then on to AgentCore and GitHub's consent page
            page.screenshot(path=str(tmp_path / "github-consent.png"))
            page.click("#authorize")
            page.wait_for_url(f"{deployment.callback}/oauth/callback?session_id=*")
            confirm = page.locator("#confirm")
            assert confirm.count() == 1, "the confirmation page has no confirm button"
            assert page.locator("#who").inner_text() == "alice"
            page.screenshot(path=str(tmp_path / "callback-confirm.png"), full_page=True)
            confirm.click()
            page.wait_for_selector("#done")
            page.screenshot(path=str(tmp_path / "callback-done.png"), full_page=True)
        finally:
            browser.close()
    for name in ("github-consent.png", "sign-in.png", "callback-confirm.png", "callback-done.png"):
        assert (tmp_path / name).stat().st_size > 1000
    screenshots = os.environ.get("SCREENSHOT_DIR")
    if screenshots:
        for name in ("github-consent.png", "sign-in.png", "callback-confirm.png", "callback-done.png"):
            Path(screenshots).mkdir(parents=True, exist_ok=True)
            (Path(screenshots) / name).write_bytes((tmp_path / name).read_bytes())
    profile = call_tool(deployment.stack.config["gateway"]["url"], "GitHubTarget___getAuthenticatedUser", token=alice)
    assert '"login": "alice"' in profile["result"]["content"][0]["text"]
