"""The callback's sign-in and cookies (issue 12, items 7 and 8): the identity provider's redirect URI
comes from the configured callback URL, never from the Host header; the initiator's subject is not
sent to the provider; signed cookies expire and use a key of their own; an https callback uses
`__Host-` cookies; OAUTH_CALLBACK_SECRET must be at least 32 bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from starlette.testclient import TestClient

from callback import signin
from callback.app import build_app
from callback.setup import make_state
from callback.signin import Signer
from handoff.config import ConfigError
from tests.callback.conftest import Deployment, recorded_link
from tests.sandbox.helpers import mint

URI = "urn:ietf:params:oauth:request_uri:sign-in-safety"


def record_alice(deployment: Deployment, uri: str = URI) -> str:
    """Alice's session `uri`; returns its consent link (where the sign-in starts)."""
    return recorded_link(deployment, uri, mint(deployment.stack.sandbox.url, "alice"))


def sign_in_redirect(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    return parse_qs(urlparse(response.headers["location"]).query)


@pytest.mark.parametrize("host", ["attacker.example", "127.0.0.1:1", "localhost"])
def test_redirect_uri_comes_from_the_configured_callback_url(deployment: Deployment, host: str) -> None:
    response = httpx.get(record_alice(deployment), headers={"Host": host})
    assert sign_in_redirect(response)["redirect_uri"] == [f"{deployment.callback}/oauth/signed-in"]


def test_sign_in_request_does_not_name_the_initiator(deployment: Deployment) -> None:
    """A forwarded link must not tell whoever opens it (or the provider's page) who started it."""
    response = httpx.get(record_alice(deployment))
    query = sign_in_redirect(response)
    assert "login_hint" not in query and "alice" not in response.headers["location"]


def test_the_sign_in_still_completes(deployment: Deployment) -> None:
    from demo.browser import Browser

    with Browser("alice") as browser:
        page = browser.open(record_alice(deployment))
    assert page.status_code == 200 and "id='confirm'" in page.text


def test_cookie_signing_key_is_separate_from_the_csrf_key(deployment: Deployment) -> None:
    state = deployment.state
    assert state.signer.key != state.csrf.key
    forged = Signer(state.csrf.key).dumps(
        {"session_id": URI, "iss": "x", "sub": "alice"}, purpose="oauth_callback_user", max_age=600
    )
    assert state.signer.loads(forged, purpose="oauth_callback_user") is None
    secret = "s" * 32
    one, two = (
        make_state(deployment.stack.workdir / "config.json", session_store=None, csrf_secret=secret) for _ in range(2)
    )
    assert one.signer.key == two.signer.key and one.csrf.key == two.csrf.key  # instances can share the secret
    assert one.signer.key != secret.encode() and one.csrf.key != secret.encode()


def test_signed_cookies_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = Signer(b"k" * 32)
    token = signer.dumps({"a": 1}, purpose="p", max_age=60)
    assert signer.loads(token, purpose="p") == {"a": 1, "exp": pytest.approx(time.time() + 60, abs=5)}
    assert signer.loads(token, purpose="another cookie") is None
    later = time.time() + 61
    monkeypatch.setattr(signin.time, "time", lambda: later)
    assert signer.loads(token, purpose="p") is None
    import base64
    import hashlib
    import hmac

    payload = base64.urlsafe_b64encode(b'{"a":1}').decode()  # the earlier format: no expiry at all
    old = f"{payload}.{hmac.new(signer.key, payload.encode(), hashlib.sha256).hexdigest()}"
    assert signer.loads(old, purpose="p") is None


@pytest.mark.parametrize("length", [0, 16, 31])
def test_short_secret_is_refused(deployment: Deployment, length: int) -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        make_state(deployment.stack.workdir / "config.json", session_store=None, csrf_secret="x" * length)


def test_short_secret_stops_the_program_with_a_clear_error(deployment: Deployment) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "callback", "--config", str(deployment.stack.workdir / "config.json")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OAUTH_CALLBACK_SECRET": "too-short"},
    )
    assert result.returncode == 1 and "OAUTH_CALLBACK_SECRET" in result.stderr and "32 bytes" in result.stderr
    assert "Traceback" not in result.stderr and "too-short" not in result.stderr


def https_state(deployment: Deployment, tmp_path: Path, *, sign_in: bool) -> TestClient:
    """The deployment's stack as if its callback were published at https://callback.example."""
    config = json.loads((deployment.stack.workdir / "config.json").read_text())
    config["callback_url"] = "https://callback.example/oauth/callback"
    for target in config["targets"]:
        target["return_url"] = config["callback_url"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    state = make_state(path, session_store=deployment.store.path, csrf_secret=None, sign_in=sign_in)
    return TestClient(build_app(state), base_url="https://callback.example", follow_redirects=False)


def test_https_callback_uses_host_prefixed_secure_cookies(deployment: Deployment, tmp_path: Path) -> None:
    link = urlparse(record_alice(deployment))
    start = f"{link.path}?{link.query}"
    with https_state(deployment, tmp_path, sign_in=True) as client:
        to_sign_in = client.get(start)
    assert parse_qs(urlparse(to_sign_in.headers["location"]).query)["redirect_uri"] == [
        "https://callback.example/oauth/signed-in"
    ]
    cookie = to_sign_in.headers["set-cookie"]
    assert cookie.startswith("__Host-oauth_callback_signin=")
    assert "Secure" in cookie and "Path=/;" in cookie and "HttpOnly" in cookie and "Domain" not in cookie
    with https_state(deployment, tmp_path, sign_in=False) as client:
        to_agentcore = client.get(start)
        assert to_agentcore.status_code == 303
        browser = to_agentcore.headers["set-cookie"]
        assert browser.startswith("__Host-oauth_callback_browser=") and "Secure" in browser and "Path=/;" in browser
        assert "HttpOnly" in browser and "SameSite=lax" in browser and "Domain" not in browser
        confirm = client.get("/oauth/callback", params={"session_id": URI})
    assert confirm.status_code == 200, confirm.text
    csrf = confirm.headers["set-cookie"]
    assert csrf.startswith("__Host-oauth_callback_csrf=") and "Secure" in csrf and "Path=/;" in csrf


def test_plain_http_callback_cannot_use_the_prefix(deployment: Deployment) -> None:
    """`__Host-` requires Secure, which a plain http://127.0.0.1 callback cannot set for every client."""
    response = httpx.get(record_alice(deployment))
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("oauth_callback_signin=") and "Secure" not in cookie and "Max-Age=600" in cookie
