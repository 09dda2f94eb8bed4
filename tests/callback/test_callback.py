"""The callback app against the sandbox: confirmation, binding, and everything that must be refused."""

from __future__ import annotations

import html
import multiprocessing
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.stub import Stubber

from demo.browser import Browser
from handoff.links import digest
from handoff.sessions import SessionUnavailable
from handoff.sqlite_sessions import SqliteSessionStore
from tests.callback.conftest import Deployment, confirm_form, landing_url, opened, recorded_link
from tests.sandbox.helpers import mint
from tests.sessions import consume_in_child, link_for, record, stored_session

PROFILE_TOOL = "get_user_profile"
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def authorization_link(deployment: Deployment, token: str) -> str:
    from tests.server.conftest import connect

    async with connect(deployment.mcp, headers={"Authorization": f"Bearer {token}"}) as client:
        result = await client.call_tool(PROFILE_TOOL, {})
    return str(result.structured_content["authorization_required"]["url"])


async def profile(deployment: Deployment, token: str) -> dict:
    from tests.server.conftest import connect

    async with connect(deployment.mcp, headers={"Authorization": f"Bearer {token}"}) as client:
        return dict((await client.call_tool(PROFILE_TOOL, {})).structured_content)


async def test_confirm_then_the_tool_works(deployment: Deployment) -> None:
    alice = mint(deployment.stack.sandbox.url, "alice")
    link = await authorization_link(deployment, alice)
    assert link.startswith(f"{deployment.callback}/oauth/start?link=")
    with Browser("alice") as browser:
        consent_page = browser.open(link)  # signs in as alice, then on to AgentCore and GitHub's consent page
        assert any(url.startswith(f"{deployment.callback}/oauth/signed-in") for url in browser.visited)
        assert "request_uri=" in browser.agentcore_url
        page = browser.approve(consent_page)
        assert page.status_code == 200
        assert "<strong id='who'>alice</strong>" in page.text and "id='confirm'" in page.text
        assert deployment.stack.sandbox.app.flow.vault == {}  # nothing bound on GET
        done = browser.confirm(page)
        assert done.status_code == 200 and "run the tool again" in done.text
        replay = browser.http.post(f"{deployment.callback}/oauth/callback", data=confirm_form(page.text))
        assert replay.status_code == 403  # its CSRF cookie is gone with the success page
        again = browser.open(str(page.url))
        assert again.status_code == 409 and "already been used" in again.text
        reopened = browser.open(link)
        assert reopened.status_code == 409 and "already been used" in reopened.text
    assert (await profile(deployment, alice))["login"] == "alice"


def test_the_link_works_in_one_browser_only(deployment: Deployment) -> None:
    """A second browser opening the same consent link is refused, and the session is cancelled for both."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    uri = "urn:ietf:params:oauth:request_uri:one-browser"
    link = recorded_link(deployment, uri, alice)
    with Browser("alice") as first, Browser("alice") as second:
        assert "id='confirm'" in first.open(link).text
        again = first.open(link)  # the same browser may open it again
        assert again.status_code == 200 and "id='confirm'" in again.text
        refused = second.open(link)
        assert refused.status_code == 403 and "another browser" in refused.text and "cancelled" in refused.text
        cancelled = first.open(landing_url(deployment, uri))
        assert cancelled.status_code == 409
    with pytest.raises(SessionUnavailable, match="used"):
        deployment.store.get(uri)


def test_landing_without_the_browser_cookie_cancels_the_session(deployment: Deployment) -> None:
    alice = mint(deployment.stack.sandbox.url, "alice")
    uri = "urn:ietf:params:oauth:request_uri:no-cookie"
    with Browser("alice") as browser:
        opened(deployment, browser, uri, alice)
    with Browser("alice") as elsewhere:  # the same person, signed in, but not the browser that opened the link
        page = elsewhere.open(landing_url(deployment, uri))
        assert (
            page.status_code == 403 and "not started in this browser" in page.text and "id='confirm'" not in page.text
        )
    with pytest.raises(SessionUnavailable, match="used"):
        deployment.store.get(uri)


def test_a_landing_for_a_link_never_opened_cancels_the_session(deployment: Deployment) -> None:
    """AgentCore's URL reached without the consent link (it was copied from the server's records, say)."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    uri = "urn:ietf:params:oauth:request_uri:never-opened"
    recorded_link(deployment, uri, alice)
    with Browser("alice") as browser:
        page = browser.open(landing_url(deployment, uri))
    assert page.status_code == 403 and "cancelled" in page.text
    with pytest.raises(SessionUnavailable, match="used"):
        deployment.store.get(uri)


def test_signing_in_as_someone_else_at_the_link_cancels_it(deployment: Deployment) -> None:
    alice = mint(deployment.stack.sandbox.url, "alice")
    uri = "urn:ietf:params:oauth:request_uri:bob-signs-in"
    link = recorded_link(deployment, uri, alice)
    with Browser("bob") as bob:
        page = bob.open(link)
        assert page.status_code == 403 and "You signed in as bob" in page.text and "started by alice" in page.text
        assert not any("request_uri" in url or "/oauth/callback" in url for url in bob.visited)  # never sent on
    with Browser("alice") as alice_browser:
        assert alice_browser.open(link).status_code == 409  # cancelled for alice too
    assert deployment.stack.sandbox.app.flow.vault == {}


def test_post_needs_a_sign_in_for_that_same_session(deployment: Deployment) -> None:
    alice = mint(deployment.stack.sandbox.url, "alice")
    first, second = "urn:ietf:params:oauth:request_uri:first", "urn:ietf:params:oauth:request_uri:second"
    with Browser("alice") as browser:
        opened(deployment, browser, first, alice)
        recorded_link(deployment, second, alice)
        cookie = browser.http.cookies["oauth_callback_browser"]
        deployment.store.bind_browser(second, digest(cookie))  # this browser, but no sign-in for `second`
        token = deployment.state.csrf.issue(second)
        browser.http.cookies.delete("oauth_callback_csrf")
        browser.http.cookies.set("oauth_callback_csrf", token)
        refused = browser.http.post(
            f"{deployment.callback}/oauth/callback", data={"session_id": second, "csrf_token": token}
        )
    assert refused.status_code == 403 and "Sign-in required" in refused.text
    assert deployment.store.get(second).used_at is None


async def test_a_completion_before_consent_uses_the_session_up(deployment: Deployment) -> None:
    """One attempt per session: CompleteResourceTokenAuth refused (GitHub consent not done) burns it, so an
    initiator cannot poll until someone else approves."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    first = await authorization_link(deployment, alice)
    uri = stored_session(deployment.store, first).session_uri
    with Browser("alice") as browser:
        browser.open(first)  # signed in, cookie set, now at GitHub's consent page: not approved
        page = browser.open(landing_url(deployment, uri))  # straight to the callback, as a forged landing would
        assert page.status_code == 200 and "id='confirm'" in page.text
        refused = browser.confirm(page)
        assert refused.status_code == 403 and "Authorization not accepted" in refused.text
        again = browser.open(landing_url(deployment, uri))
        assert again.status_code == 409
    with pytest.raises(SessionUnavailable, match="used"):
        deployment.store.get(uri)


def test_expired_session_is_refused(deployment: Deployment) -> None:
    uri = "urn:ietf:params:oauth:request_uri:expired-one"
    record(SqliteSessionStore(deployment.store.path, ttl=-1), uri, "t")
    response = httpx.get(f"{deployment.callback}/oauth/callback", params={"session_id": uri})
    assert response.status_code == 410 and "expired" in response.text


@pytest.mark.parametrize(
    "session_id",
    [
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param("urn:ietf:params:oauth:request_uri:a'\"><img src=x onerror=alert(1)>", id="quotes"),
        pytest.param("", id="missing"),
        pytest.param("urn:ietf:params:oauth:request_uri:" + "a" * 1000, id="too-long"),
    ],
)
def test_malformed_session_id_is_rejected_and_never_echoed(deployment: Deployment, session_id: str) -> None:
    response = httpx.get(f"{deployment.callback}/oauth/callback", params={"session_id": session_id})
    assert response.status_code == 400
    assert "<script>" not in response.text and "onerror" not in response.text


def test_display_name_is_escaped(deployment: Deployment) -> None:
    uri = "urn:ietf:params:oauth:request_uri:markup-name"
    name = "<script>alert('x')</script>\"&"
    alice = mint(deployment.stack.sandbox.url, "alice")
    with Browser("alice") as browser:
        response = opened(deployment, browser, uri, alice, name=name)
    assert response.status_code == 200
    assert name not in response.text and html.escape(name) in response.text


def test_post_without_csrf_token_is_refused(deployment: Deployment) -> None:
    uri = "urn:ietf:params:oauth:request_uri:no-csrf"
    alice = mint(deployment.stack.sandbox.url, "alice")
    with Browser("alice") as browser:
        page = opened(deployment, browser, uri, alice)
        form = confirm_form(page.text)
        assert browser.http.post(f"{deployment.callback}/oauth/callback", data={"session_id": uri}).status_code == 403
    other = httpx.post(f"{deployment.callback}/oauth/callback", data=form)  # token without its cookie
    assert other.status_code == 403
    assert deployment.store.get(uri).used_at is None


def test_forged_session_is_refused_without_calling_aws(deployment: Deployment) -> None:
    client = boto3.client("bedrock-agentcore")
    deployment.state.identity_client = client
    forged = "urn:ietf:params:oauth:request_uri:forged"
    with Stubber(client):  # no responses queued: any AWS call would raise
        assert httpx.get(f"{deployment.callback}/oauth/callback", params={"session_id": forged}).status_code == 404
        token = deployment.state.csrf.issue(forged)
        posted = httpx.post(
            f"{deployment.callback}/oauth/callback",
            data={"session_id": forged, "csrf_token": token},
            cookies={"oauth_callback_csrf": token},
        )
    assert posted.status_code == 409  # the landing marked that session URI cancelled: it can never be recorded


def test_aws_access_denied_becomes_a_readable_page(deployment: Deployment) -> None:
    client = boto3.client("bedrock-agentcore")
    deployment.state.identity_client = client
    alice = mint(deployment.stack.sandbox.url, "alice")
    uri = "urn:ietf:params:oauth:request_uri:denied"
    with Stubber(client) as stub, Browser("alice") as browser:
        stub.add_client_error(
            "complete_resource_token_auth", "AccessDeniedException", "Invalid or expired session", 403
        )
        refused = browser.confirm(opened(deployment, browser, uri, alice))
    assert refused.status_code == 403 and "Authorization not accepted" in refused.text
    assert alice not in refused.text and "Invalid or expired" not in refused.text
    with pytest.raises(SessionUnavailable, match="used"):  # no second attempt
        deployment.store.get(uri)


def test_throttling_releases_the_session_for_a_retry_in_the_same_browser(deployment: Deployment) -> None:
    client = boto3.client("bedrock-agentcore")
    deployment.state.identity_client = client
    uri = "urn:ietf:params:oauth:request_uri:throttled"
    alice = mint(deployment.stack.sandbox.url, "alice")
    with Stubber(client) as stub, Browser("alice") as browser, Browser("alice") as elsewhere:
        stub.add_client_error("complete_resource_token_auth", "ThrottlingException", "Rate exceeded", 429)
        expected = {"sessionUri": uri, "userIdentifier": {"userToken": alice}}
        stub.add_response("complete_resource_token_auth", {}, expected)
        page = opened(deployment, browser, uri, alice)
        busy = browser.confirm(page)
        assert busy.status_code == 503
        assert deployment.store.get(uri).browser_hash is not None  # released, still tied to this browser
        page = browser.open(landing_url(deployment, uri))
        assert browser.confirm(page).status_code == 200
        assert elsewhere.open(landing_url(deployment, uri)).status_code == 409


def test_pages_carry_strict_headers(deployment: Deployment) -> None:
    for path in ("/", "/oauth/callback?session_id=bad", "/nowhere"):
        response = httpx.get(deployment.callback + path)
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    home = httpx.get(deployment.callback + "/")
    assert "github-mcp" in home.text and "id='status'>ok" in home.text
    assert httpx.get(deployment.callback + "/healthz").json()["status"] == "ok"
    assert httpx.get(deployment.callback + "/nowhere").status_code == 404
    assert httpx.get(deployment.callback + "/oauth/callback?session_id=" + "a" * 5000).status_code == 413
    assert (
        httpx.post(
            deployment.callback + "/oauth/callback",
            content=b"x" * 20000,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).status_code
        == 413
    )


def test_store_is_single_use_across_processes(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    uri = "urn:ietf:params:oauth:request_uri:race"
    record(store, uri, "t", name="a")
    results: multiprocessing.Queue[str] = multiprocessing.get_context("spawn").Queue()
    procs = [
        multiprocessing.get_context("spawn").Process(
            target=consume_in_child, args=("sqlite", str(store.path), uri, results)
        )
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert outcomes == ["ok", "used", "used", "used"]
    assert (tmp_path / "s.sqlite3").stat().st_mode & 0o077 == 0


def test_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "callback", "--config", str(tmp_path / "none.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "reconcile apply" in result.stderr and "Traceback" not in result.stderr


def test_no_sign_in_mode_shows_the_confirmation_directly(deployment: Deployment) -> None:
    from callback.app import build_app
    from callback.setup import make_state
    from tests.asgi import serving_asgi

    state = make_state(deployment.stack.workdir / "config.json", session_store=None, csrf_secret=None, sign_in=False)
    assert state.signin is None and deployment.state.signin is not None
    uri = "urn:ietf:params:oauth:request_uri:no-sign-in"
    with serving_asgi(build_app(state)) as base:
        value = record(state.store, uri, "t", authorization_url=f"{base}/oauth/callback?session_id={uri}")
        with Browser("nobody") as browser:  # no sign-in: the browser's cookie is the only binding
            page = browser.open(link_for(base, value))
            assert not any("/oidc/" in url for url in browser.visited)
    assert page.status_code == 200 and "id='confirm'" in page.text
