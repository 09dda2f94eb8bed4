"""The OAuth callback hosted by the shipped stack (issue 22), end to end in the sandbox with no local callback
process. The shipped stack.yaml without the server on the Runtime (tests/shipped_stack.py), CALLBACK_URL unset:
apply deploys the callback's zip to Lambda behind a function URL, the gateway's return URL is that URL, and the
configuration reaches the function through SSM after the gateway exists. Two users at once
(alice and bob, each in their own browser, step by step in turn): each user's first call gets -32042; the session
is recorded in the stack's DynamoDB table as mcp-server records it; each browser (headless Chromium, its requests
to the https function URL relayed to the sandbox through demo/function_urls.py) opens its link at the function
URL, signs in, approves on GitHub, confirms; each user's next call returns their own GitHub data. carol's link,
forwarded to bob and signed in to as bob, is refused, and carol is still asked for her own consent."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import boto3
import httpx
import pytest
from playwright.sync_api import Route, sync_playwright

from demo.chromium import launch
from demo.function_urls import client as url_client
from handoff.dynamodb_sessions import DynamoDbSessionStore
from handoff.links import consent_link, digest, new_link_value
from sandbox.server import Sandbox
from tests.conftest import ROOT, reconcile
from tests.sandbox.helpers import call_tool, mint
from tests.shipped_stack import without_server

PROFILE = "GitHubTarget___getAuthenticatedUser"


@pytest.fixture
def hosted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "openapi", tmp_path / "openapi")
    (tmp_path / "stack.yaml").write_text(without_server((ROOT / "stack.yaml").read_text()))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLBACK_URL", raising=False)
    return tmp_path


def test_consent_through_the_hosted_callback(sandbox: Sandbox, hosted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    applied = reconcile("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    notice = applied.output.split("Redirect URI of the OAuth callback's sign-in")[1]
    redirect_uri = notice.splitlines()[1].strip()
    monkeypatch.setenv("SANDBOX_OIDC_REDIRECT_URIS", redirect_uri)  # registered, as the notice says to
    assert reconcile("plan", "--detailed-exitcode").exit_code == 0
    config = json.loads(Path("config.json").read_text())
    callback_url = config["callback_url"]
    assert callback_url.startswith("https://") and ".lambda-url.us-east-1.on.aws/oauth/callback" in callback_url
    assert redirect_uri == callback_url.replace("/oauth/callback", "/oauth/signed-in")
    secret = boto3.client("ssm").get_parameter(Name="/github-mcp/callback-secret", WithDecryption=True)
    assert secret["Parameter"]["Value"] not in applied.output + Path("config.json").read_text()

    with url_client(sandbox.url, timeout=30) as http:
        home = http.get(callback_url.replace("/oauth/callback", "/"))
    assert home.status_code == 200 and "github-mcp" in home.text  # the uploaded zip answered, configured

    gateway = config["gateway"]["url"]
    tokens = {user: mint(sandbox.url, user, client_id="sandbox-demo") for user in ("alice", "bob", "carol")}
    links = {user: _link(gateway, config["session_table"], user, token) for user, token in tokens.items()}
    with url_client(sandbox.url, follow_redirects=False, timeout=30) as reach, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            pages = {user: browser.new_context().new_page() for user in ("alice", "bob")}  # two browsers
            for page in pages.values():
                page.route(FUNCTION_URL, lambda route: relay(route, reach))  # the https URL, served by the sandbox
            for user, page in pages.items():  # both at once, step by step
                page.goto(consent_link(callback_url, links[user]))
            for user, page in pages.items():
                page.select_option("#user", user)  # the callback sends the browser to sign in first
                page.click("#sign-in")
            for page in pages.values():
                page.click("#authorize")  # GitHub's consent page (the stand-in)
            for user, page in pages.items():
                page.wait_for_url(f"{callback_url}?session_id=*")  # back at the function URL: the confirmation
                assert page.locator("#who").inner_text() == user
            for page in pages.values():
                page.click("#confirm")
                page.wait_for_selector("#done")
            forwarded = browser.new_context().new_page()  # carol's link, opened and signed in to by bob
            forwarded.route(FUNCTION_URL, lambda route: relay(route, reach))
            forwarded.goto(consent_link(callback_url, links["carol"]))
            forwarded.select_option("#user", "bob")
            forwarded.click("#sign-in")
            forwarded.wait_for_selector("text=This link belongs to someone else")
        finally:
            browser.close()
    for user in ("alice", "bob"):
        profile = call_tool(gateway, PROFILE, token=tokens[user])["result"]
        assert json.loads(profile["content"][0]["text"])["login"] == user
    assert "elicitations" in call_tool(gateway, PROFILE, token=tokens["carol"])["error"]["data"]  # not bob's link

    destroyed = reconcile("destroy", "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output
    assert not boto3.client("lambda").list_functions()["Functions"]
    assert not boto3.client("ssm").describe_parameters()["Parameters"]


def _link(gateway: str, table: str, user: str, token: str) -> str:
    """`user`'s first call gets -32042; the session is recorded as mcp-server records it; the link's value."""
    reply = call_tool(gateway, PROFILE, token=token)
    (elicitation,) = reply["error"]["data"]["elicitations"]
    value = new_link_value()
    DynamoDbSessionStore(table, region="us-east-1").record(
        session_uri=elicitation["url"].split("request_uri=")[1].replace("%3A", ":"),
        identifier_kind="userToken",
        identifier=token,
        display_name=user,
        authorization_url=elicitation["url"],
        link_hash=digest(value),
    )
    return value


FUNCTION_URL = re.compile(r"^https://[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws/")
DROPPED = {"host", "content-length", "content-encoding", "transfer-encoding", "connection"}


def relay(route: Route, reach: httpx.Client) -> None:
    """A request Chromium makes to a function URL, made through demo/function_urls.py (the sandbox on loopback,
    Host unchanged) with the browser's own headers and cookies; the answer handed back whole, redirects and
    Set-Cookie included, for Chromium to follow and keep as it would from AWS."""
    request = route.request
    headers = {k: v for k, v in request.all_headers().items() if not k.startswith(":") and k not in DROPPED}
    answer = reach.request(request.method, request.url, headers=headers, content=request.post_data_buffer)
    back: dict[str, str] = {}
    for name, value in answer.headers.multi_items():
        if name.lower() not in DROPPED:
            back[name] = f"{back[name]}\n{value}" if name in back else value  # Playwright's form of repeated headers
    route.fulfill(status=answer.status_code, headers=back, body=answer.content)
