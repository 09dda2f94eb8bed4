"""Red team on the consent binding (issue 12, item 1): can alice end up with bob's GitHub account?

The design's invariant: any landing on the callback that is not from the browser bound to the session
(and signed in as its initiator) cancels it for good. Tests named `test_residual_...` show a residual risk as
it is; the others are attacks the design withstands, among them the holes this red team found and that are
now closed (each test was an xfail(strict=True) reproduction first):
- a victim's landing that finds the session mid-completion (consumed, AgentCore call in flight) is cancelled
  too, so a throttled attempt can no longer release it for the initiator;
- a landing for a session URI the store does not know marks it cancelled, and a record never revives an
  ended session (with tests/handoff/test_red_team_stores.py);
- a CUSTOM_JWT stack whose sign-in cannot be set up refuses to start (unless --no-sign-in, with a warning);
- a plain-http callback URL on a non-loopback host is refused (cookies could be planted without __Host-);
- the signed cookies name their purpose: a user cookie replayed as the pending cookie is refused (400);
- one-time link values and session URIs are redacted from every log line (uvicorn's access log included);
- after the sign-in the browser returns under the callback URL's path prefix.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import anyio
import httpx
import pytest
from botocore.exceptions import ClientError
from starlette.testclient import TestClient

from callback.app import build_app
from callback.setup import make_state
from demo.browser import Browser, approve_on_github
from handoff.config import ConfigError
from handoff.links import digest, new_link_value
from handoff.sessions import SessionUnavailable
from handoff.sqlite_sessions import SqliteSessionStore
from sandbox.server import Sandbox
from tests.asgi import free_port
from tests.callback.conftest import Deployment, landing_url, recorded_link
from tests.sandbox.helpers import apply_stack, mint
from tests.server.conftest import connect, write_config
from tests.sessions import link_for, record

PROFILE_TOOL = "get_user_profile"
URI_LOGGED = "urn:ietf:params:oauth:request_uri:logged"


async def _tool(deployment: Deployment, token: str) -> dict[str, Any]:
    async with connect(deployment.mcp, headers={"Authorization": f"Bearer {token}"}) as client:
        return dict((await client.call_tool(PROFILE_TOOL, {})).structured_content)


def tool(deployment: Deployment, token: str) -> dict[str, Any]:
    return anyio.run(_tool, deployment, token)


def request_uri(agentcore_url: str) -> str:
    return parse_qs(urlparse(agentcore_url).query)["request_uri"][0]


class ThrottledOnce:
    """The callback's bedrock-agentcore client, whose first CompleteResourceTokenAuth hangs until `proceed` and
    then answers ThrottlingException (AWS busy: the session is released); later calls go to the sandbox."""

    def __init__(self, real: Any):
        self.real, self.calls = real, 0
        self.entered, self.proceed = threading.Event(), threading.Event()

    def complete_resource_token_auth(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            self.proceed.wait(20)
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "CompleteResourceTokenAuth"
            )
        return self.real.complete_resource_token_auth(**kwargs)


# --- open holes -------------------------------------------------------------------------------------------------


def test_a_foreign_landing_during_a_completion_in_flight_still_cancels_the_session(deployment: Deployment) -> None:
    """Alice opens her link (bound, signed in), forwards AgentCore's URL to bob, and presses Confirm in her own browser
    (a GET of the callback page gives her the form). Her CompleteResourceTokenAuth is in flight (the session is
    consumed) when bob, having approved as bob, lands without her cookie: he gets 409 'already used' and nothing is
    cancelled. AWS answers ThrottlingException, the session is released, and alice presses Confirm again: bob's
    GitHub account is hers. (Alice can keep a session consumed most of the time by pressing again on every 503;
    she cannot force the throttling, which makes this hard, not impossible.)"""
    alice = mint(deployment.stack.sandbox.url, "alice")
    link = tool(deployment, alice)["authorization_required"]["url"]
    throttled = ThrottledOnce(deployment.state.identity_client)
    deployment.state.identity_client = throttled
    with Browser("alice") as alices:
        alices.open(link)
        forwarded = alices.agentcore_url
        landing = landing_url(deployment, request_uri(forwarded))
        form = alices.open(landing)
        assert "id='confirm'" in form.text
        answers: list[httpx.Response] = []
        pressing = threading.Thread(target=lambda: answers.append(alices.confirm(form)))
        pressing.start()
        assert throttled.entered.wait(20)
        bobs_landing_url = approve_on_github(forwarded, login="bob")  # bob approves on GitHub as bob ...
        with Browser("bob") as bobs:
            bobs_landing = bobs.open(bobs_landing_url)  # ... and lands without alice's cookie
        throttled.proceed.set()
        pressing.join(30)
        assert answers and answers[0].status_code == 503  # "try again in a moment": released
        again = alices.open(landing)
        if again.status_code == 200 and "id='confirm'" in again.text:
            alices.confirm(again)
    linked = tool(deployment, alice).get("login")
    assert again.status_code == 409 and linked != "bob", (
        f"bob's landing answered {bobs_landing.status_code} without cancelling; after the release alice got "
        f"{again.status_code} and her get_user_profile now returns {linked!r}"
    )


def test_a_foreign_landing_before_the_session_is_recorded_still_counts(deployment: Deployment) -> None:
    """Alice gets AgentCore's URL for a session without going through mcp-server (she calls the gateway herself with
    her JWT, or the gateway resumes a pending session), forwards it to bob, bob approves and lands: the store has no
    such session, 404, nothing recorded. When mcp-server later records that session URI for alice's call, her link
    works as if nothing had happened. Needs AgentCore to hand out the same session URI again (GetResourceOauth2Token
    accepts a sessionUri to continue a flow), so this is defence in depth, not a sandbox-reproducible chain."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    uri = "urn:ietf:params:oauth:request_uri:landed-before-recorded"
    with Browser("bob") as bobs:
        early = bobs.open(landing_url(deployment, uri))
    assert early.status_code == 404
    with pytest.raises(SessionUnavailable, match="used"):  # mcp-server answers the tool call with an error
        recorded_link(deployment, uri, alice)


def test_a_custom_jwt_stack_without_a_sign_in_client_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway's authorizer is CUSTOM_JWT, but neither allowed_clients, allowed_audience nor OIDC_CLIENT_ID names
    a client: the callback starts with no sign-in at all, and a forwarded consent link only needs bob to press
    Confirm on a page naming alice (see test_residual_without_sign_in_a_forwarded_link_needs_only_bobs_click)."""
    monkeypatch.delenv("OIDC_CLIENT_ID", raising=False)
    path = write_config(tmp_path, "CUSTOM_JWT")
    config = json.loads(path.read_text())
    config["gateway"]["authorizer"]["discovery_url"] = "http://127.0.0.1:9/.well-known/openid-configuration"
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError):
        state = make_state(path, session_store=tmp_path / "s.sqlite3", csrf_secret=None, sign_in=True)
        assert state.signin is None  # what happens today: no error, no sign-in


def test_a_plain_http_callback_url_on_a_public_host_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, "AWS_IAM")
    config = json.loads(path.read_text())
    config["callback_url"] = "http://callback.corp.example/oauth/callback"
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError):
        make_state(path, session_store=tmp_path / "s.sqlite3", csrf_secret=None, sign_in=False)


def test_a_user_cookie_replayed_as_the_pending_cookie_is_refused_cleanly(deployment: Deployment) -> None:
    alice = mint(deployment.stack.sandbox.url, "alice")
    link = recorded_link(deployment, "urn:ietf:params:oauth:request_uri:typed-cookies", alice)
    with Browser("alice") as alices:
        alices.open(link)
        user_cookie = alices.http.cookies["oauth_callback_user"]
    with httpx.Client(cookies={"oauth_callback_signin": user_cookie}) as client:
        answer = client.get(f"{deployment.callback}/oauth/signed-in", params={"code": "anything"})
    assert answer.status_code == 400, answer.status_code


def test_the_one_time_link_value_never_reaches_the_log(
    sandbox: Sandbox, workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log reader with a live link can cancel the user's authorization (CUSTOM_JWT), or, where nobody signs in
    (AWS_IAM, NONE, --no-sign-in), open it first, bind their own browser and link their own GitHub account to the
    initiator (the initiator's later tool calls then read and write the log reader's account)."""
    from tests.callback.test_log_redaction import callback_process

    port = free_port()
    monkeypatch.setenv("CALLBACK_URL", f"http://127.0.0.1:{port}/oauth/callback")
    apply_stack()
    value = record(SqliteSessionStore(workdir / "oauth-sessions.sqlite3"), URI_LOGGED, mint(sandbox.url, "alice"))
    log = tmp_path / "oauth-callback.log"
    with callback_process(workdir, port, ["--log-level", "info"], log) as base:
        assert httpx.get(link_for(base, value)).status_code in (302, 303)
    output = log.read_text()
    assert "/oauth/start" in output  # the request line is logged ...
    assert value not in output  # ... but never the link value


def test_after_sign_in_the_browser_returns_under_the_callbacks_path_prefix(deployment: Deployment) -> None:
    """A callback configured as https://host/cb/oauth/callback (behind a proxy that strips /cb) sends the signed-in
    browser to https://host/oauth/start?link=<value>: a 404, or whatever else the host serves at its root, which then
    receives the one-time link value in its URL."""
    import base64

    state = dataclasses.replace(deployment.state, public_url=f"{deployment.callback}/cb/oauth/callback")
    value = record(
        deployment.store, "urn:ietf:params:oauth:request_uri:prefixed", mint(deployment.stack.sandbox.url, "alice")
    )
    with TestClient(build_app(state), base_url=deployment.callback, follow_redirects=False) as client:
        to_idp = client.get("/oauth/start", params={"link": value})
        assert to_idp.status_code == 302
        payload = client.cookies["oauth_callback_signin"].rpartition(".")[0]
    then = json.loads(base64.urlsafe_b64decode(payload))["next"]
    assert then.startswith("/cb/oauth/start?"), then


# --- residual risks, shown as they are -----------------------------------------------------------------------------


def test_residual_on_plain_http_planted_cookies_turn_the_victims_landing_into_a_confirmation(
    deployment: Deployment,
) -> None:
    """On http the binding cookie has no __Host- prefix and no Secure flag: anything that can set a cookie for the
    callback's host (a sibling subdomain with Domain=, another service on the same host, any port; the network) can
    copy alice's browser cookie and her signed sign-in cookie into bob's browser. Bob's landing then shows a
    confirmation instead of cancelling, and alice confirms in her own browser. Why http must stay on loopback."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    link = tool(deployment, alice)["authorization_required"]["url"]
    with Browser("alice") as alices, Browser("bob") as bobs:
        alices.open(link)
        for cookie in alices.http.cookies.jar:
            bobs.http.cookies.jar.set_cookie(cookie)  # planted from outside the callback
        landing = bobs.approve(bobs.open(alices.agentcore_url))
        assert landing.status_code == 200 and "id='confirm'" in landing.text  # not cancelled
        assert alices.confirm(alices.open(str(landing.url))).status_code == 200
    assert tool(deployment, alice)["login"] == "bob"


def test_residual_without_sign_in_a_forwarded_link_needs_only_bobs_click(deployment: Deployment) -> None:
    """--no-sign-in (or a CUSTOM_JWT stack without a client id, above): bob opens alice's forwarded consent link, his
    browser is bound, he approves as bob and is shown 'link ... to alice' with a button. One click and alice has his
    account. The browser binding alone does not protect CUSTOM_JWT users."""
    deployment.state.signin = None
    alice = mint(deployment.stack.sandbox.url, "alice")
    link = tool(deployment, alice)["authorization_required"]["url"]
    with Browser("bob") as bobs:
        landing = bobs.approve(bobs.open(link))
        assert "<strong id='who'>alice</strong>" in landing.text
        assert bobs.confirm(landing).status_code == 200
    assert tool(deployment, alice)["login"] == "bob"


# --- attacks the design withstands ----------------------------------------------------------------------------------


def test_on_https_a_planted_unprefixed_cookie_is_ignored_and_the_landing_cancels(deployment: Deployment) -> None:
    """With an https callback URL only __Host-oauth_callback_browser counts; a sibling subdomain or an http page can
    plant only the unprefixed name, which is ignored: the landing is foreign and cancels the session."""
    state = dataclasses.replace(deployment.state, public_url="https://callback.example/oauth/callback")
    uri = "urn:ietf:params:oauth:request_uri:https-planted"
    record(deployment.store, uri, "t.t.t")
    alices_cookie = new_link_value()
    deployment.store.bind_browser(uri, digest(alices_cookie))
    with TestClient(build_app(state), base_url="https://callback.example", follow_redirects=False) as client:
        client.cookies.set("oauth_callback_browser", alices_cookie)
        page = client.get("/oauth/callback", params={"session_id": uri})
    assert page.status_code == 403 and "cancelled" in page.text
    with pytest.raises(SessionUnavailable, match="used"):
        deployment.store.get(uri)


def test_bobs_own_bound_browser_landing_on_alices_session_cancels_it(deployment: Deployment) -> None:
    """Bob's browser carries a binding cookie of its own (from his own authorization): not alice's, so cancelled."""
    alice, bob = mint(deployment.stack.sandbox.url, "alice"), mint(deployment.stack.sandbox.url, "bob")
    alices_uri, bobs_uri = "urn:ietf:params:oauth:request_uri:alices", "urn:ietf:params:oauth:request_uri:bobs"
    with Browser("alice") as alices, Browser("bob") as bobs:
        assert "id='confirm'" in alices.open(recorded_link(deployment, alices_uri, alice)).text
        assert "id='confirm'" in bobs.open(recorded_link(deployment, bobs_uri, bob, name="bob")).text
        page = bobs.open(landing_url(deployment, alices_uri))
        assert page.status_code == 403 and "cancelled" in page.text
        assert alices.open(landing_url(deployment, alices_uri)).status_code == 409


def test_a_forged_next_in_the_pending_cookie_is_refused(deployment: Deployment) -> None:
    """The sign-in's return path lives in the HMAC-signed pending cookie: edited (an open redirect), it is refused."""
    import base64

    alice = mint(deployment.stack.sandbox.url, "alice")
    link = recorded_link(deployment, "urn:ietf:params:oauth:request_uri:forged-next", alice)
    with httpx.Client(follow_redirects=False) as client:
        to_idp = client.get(link)
        assert to_idp.status_code == 302
        pending = client.cookies["oauth_callback_signin"]
        payload, _, mac = pending.rpartition(".")
        value = json.loads(base64.urlsafe_b64decode(payload))
        value["next"] = "https://evil.example/"
        forged = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()
        state = parse_qs(urlparse(to_idp.headers["location"]).query)["state"][0]
        client.cookies.set("oauth_callback_signin", f"{forged}.{mac}")
        answer = client.get(f"{deployment.callback}/oauth/signed-in", params={"code": "x", "state": state})
    assert answer.status_code == 400 and "evil.example" not in answer.headers.get("location", "")


def test_link_values_are_not_enumerable(deployment: Deployment) -> None:
    """Malformed values are refused before the store; a well-formed unknown one is 'unknown' and changes nothing."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    uri = "urn:ietf:params:oauth:request_uri:enumerated"
    recorded_link(deployment, uri, alice)
    with httpx.Client(follow_redirects=False) as client:
        for value in ("", "a" * 42, "a" * 44, "%00" * 43, new_link_value()[:-1] + "="):
            assert client.get(f"{deployment.callback}/oauth/start?{urlencode({'link': value})}").status_code == 400
        assert client.get(f"{deployment.callback}/oauth/start", params={"link": new_link_value()}).status_code == 404
    assert deployment.store.get(uri).browser_hash is None


def test_a_consent_link_cannot_be_replayed_after_completion_by_its_own_browser(deployment: Deployment) -> None:
    """Replaying the consent link and the pending sign-in cookie after completion: 'already used', no second run."""
    alice = mint(deployment.stack.sandbox.url, "alice")
    link = tool(deployment, alice)["authorization_required"]["url"]
    with Browser("alice") as alices:
        landing = alices.approve(alices.open(link))
        done = alices.confirm(landing)
        assert done.status_code == 200
        assert alices.open(link).status_code == 409
        assert alices.open(str(landing.url)).status_code == 409
    assert tool(deployment, alice)["login"] == "alice"
