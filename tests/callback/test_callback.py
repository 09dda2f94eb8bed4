"""The callback app against the sandbox: confirmation, binding, and everything that must be refused."""

from __future__ import annotations

import html
import multiprocessing
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.stub import Stubber

from demo.browser import approve_on_github, open_callback
from handoff.sessions import SessionUnavailable, SqliteSessionStore
from tests.callback.conftest import Deployment, confirm_form
from tests.sandbox.helpers import mint

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
    landing = approve_on_github(await authorization_link(deployment, alice), login="alice")
    assert landing.startswith(f"{deployment.callback}/oauth/callback?session_id=urn")
    with httpx.Client() as browser:
        assert browser.get(landing).status_code == 302  # sent to sign in first
        page = open_callback(browser, landing, login="alice")
        assert page.status_code == 200
        assert "<strong id='who'>alice</strong>" in page.text and "id='confirm'" in page.text
        assert deployment.stack.sandbox.app.flow.vault == {}  # nothing bound on GET
        done = browser.post(f"{deployment.callback}/oauth/callback", data=confirm_form(page.text))
        assert done.status_code == 200 and "run the tool again" in done.text
        replay = browser.post(f"{deployment.callback}/oauth/callback", data=confirm_form(page.text))
        assert replay.status_code == 403  # its CSRF cookie is gone with the success page
        again = browser.get(landing)
        assert again.status_code == 409 and "already been used" in again.text
    assert (await profile(deployment, alice))["login"] == "alice"


async def test_forwarded_link_cannot_be_confirmed_by_someone_else(deployment: Deployment) -> None:
    """Alice forwards her link; Bob approves with his GitHub and signs in as himself: nothing is linked."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    landing = approve_on_github(await authorization_link(deployment, alice), login="bob")
    with httpx.Client() as browser:
        page = open_callback(browser, landing, login="bob")
        assert page.status_code == 403 and "You signed in as bob" in page.text and "started by alice" in page.text
        assert "id='confirm'" not in page.text
    assert deployment.stack.sandbox.app.flow.vault == {}
    assert deployment.store.get(landing.split("session_id=")[1].replace("%3A", ":")).used_at is None


def test_post_needs_a_sign_in_for_that_same_session(deployment: Deployment) -> None:
    alice = mint(deployment.stack.sandbox.url, "alice")
    first, second = "urn:ietf:params:oauth:request_uri:first", "urn:ietf:params:oauth:request_uri:second"
    for uri in (first, second):
        deployment.store.record(session_uri=uri, identifier_kind="userToken", identifier=alice, display_name="alice")
    with httpx.Client() as browser:
        open_callback(browser, f"{deployment.callback}/oauth/callback?session_id={first}", login="alice")
        token = deployment.state.csrf.issue(second)
        browser.cookies.delete("oauth_callback_csrf")
        browser.cookies.set("oauth_callback_csrf", token)
        refused = browser.post(
            f"{deployment.callback}/oauth/callback", data={"session_id": second, "csrf_token": token}
        )
    assert refused.status_code == 403 and "Sign-in required" in refused.text
    assert deployment.store.get(second).used_at is None


def test_expired_session_is_refused(deployment: Deployment) -> None:
    uri = "urn:ietf:params:oauth:request_uri:expired-one"
    SqliteSessionStore(deployment.store.path, ttl=-1).record(
        session_uri=uri, identifier_kind="userToken", identifier="t", display_name="alice"
    )
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
    deployment.store.record(session_uri=uri, identifier_kind="userToken", identifier=alice, display_name=name)
    with httpx.Client() as browser:
        response = open_callback(browser, f"{deployment.callback}/oauth/callback?session_id={uri}", login="alice")
    assert response.status_code == 200
    assert name not in response.text and html.escape(name) in response.text


def test_post_without_csrf_token_is_refused(deployment: Deployment) -> None:
    uri = "urn:ietf:params:oauth:request_uri:no-csrf"
    alice = mint(deployment.stack.sandbox.url, "alice")
    deployment.store.record(session_uri=uri, identifier_kind="userToken", identifier=alice, display_name="alice")
    with httpx.Client() as browser:
        page = open_callback(browser, f"{deployment.callback}/oauth/callback?session_id={uri}", login="alice")
        form = confirm_form(page.text)
        assert browser.post(f"{deployment.callback}/oauth/callback", data={"session_id": uri}).status_code == 403
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
    assert posted.status_code == 404 and "does not belong" in posted.text


async def test_aws_access_denied_becomes_a_readable_page(deployment: Deployment) -> None:
    alice, bob = mint(deployment.stack.sandbox.url, "alice"), mint(deployment.stack.sandbox.url, "bob")
    landing = approve_on_github(await authorization_link(deployment, alice), login="alice")
    uri = landing.split("session_id=")[1].replace("%3A", ":")
    deployment.store.record(
        session_uri=uri, identifier_kind="userToken", identifier=bob, display_name="alice"
    )  # tampered
    with httpx.Client() as browser:
        page = open_callback(browser, landing, login="bob")
        refused = browser.post(f"{deployment.callback}/oauth/callback", data=confirm_form(page.text))
    assert refused.status_code == 403 and "Authorization not accepted" in refused.text
    assert bob not in refused.text and alice not in refused.text


def test_throttling_releases_the_session_for_a_retry(deployment: Deployment) -> None:
    client = boto3.client("bedrock-agentcore")
    deployment.state.identity_client = client
    uri = "urn:ietf:params:oauth:request_uri:throttled"
    alice = mint(deployment.stack.sandbox.url, "alice")
    deployment.store.record(session_uri=uri, identifier_kind="userToken", identifier=alice, display_name="alice")
    landing = f"{deployment.callback}/oauth/callback?session_id={uri}"
    with Stubber(client) as stub, httpx.Client() as browser:
        stub.add_client_error("complete_resource_token_auth", "ThrottlingException", "Rate exceeded", 429)
        expected = {"sessionUri": uri, "userIdentifier": {"userToken": alice}}
        stub.add_response("complete_resource_token_auth", {}, expected)
        page = open_callback(browser, landing, login="alice")
        busy = browser.post(f"{deployment.callback}/oauth/callback", data=confirm_form(page.text))
        assert busy.status_code == 503
        page = open_callback(browser, landing, login="alice")
        assert browser.post(f"{deployment.callback}/oauth/callback", data=confirm_form(page.text)).status_code == 200


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


def _consume(path: str, uri: str, results: multiprocessing.Queue[str]) -> None:
    try:
        SqliteSessionStore(Path(path)).consume(uri)
        results.put("ok")
    except SessionUnavailable as exc:
        results.put(exc.reason)


def test_store_is_single_use_across_processes(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    uri = "urn:ietf:params:oauth:request_uri:race"
    store.record(session_uri=uri, identifier_kind="userToken", identifier="t", display_name="a")
    results: multiprocessing.Queue[str] = multiprocessing.get_context("spawn").Queue()
    procs = [
        multiprocessing.get_context("spawn").Process(target=_consume, args=(str(store.path), uri, results))
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
    from callback.__main__ import make_state
    from callback.app import build_app
    from tests.asgi import serving_asgi

    state = make_state(deployment.stack.workdir / "config.json", session_store=None, csrf_secret=None, sign_in=False)
    assert state.signin is None and deployment.state.signin is not None
    uri = "urn:ietf:params:oauth:request_uri:no-sign-in"
    state.store.record(session_uri=uri, identifier_kind="userToken", identifier="t", display_name="alice")
    with serving_asgi(build_app(state)) as base:
        page = httpx.get(f"{base}/oauth/callback", params={"session_id": uri})
    assert page.status_code == 200 and "id='confirm'" in page.text
