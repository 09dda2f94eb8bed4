"""The sandbox's OIDC issuer accepts only registered redirect URIs, compared exactly, as real identity
providers do (issue 12, item 7): an unregistered one gets an error page and no redirect, so code that
builds its redirect URI wrongly fails here as it would against Cognito, Entra ID or Okta.

Registered: `<CALLBACK_URL with /oauth/callback -> /oauth/signed-in>` (the callback's sign-in return,
from the same variable the stack's callback URL comes from), plus SANDBOX_OIDC_REDIRECT_URIS."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest

from sandbox.server import Sandbox

VERIFIER = "v" * 50
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def authorize_query(redirect_uri: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "sandbox-demo",
        "redirect_uri": redirect_uri,
        "state": "st",
        "nonce": "n",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "scope": "openid",
    }


def sign_in(sandbox: Sandbox, redirect_uri: str) -> httpx.Response:
    return httpx.post(f"{sandbox.url}/oidc/authorize", data={**authorize_query(redirect_uri), "user": "alice"})


@pytest.fixture
def callback_url(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CALLBACK_URL", "http://127.0.0.1:8765/oauth/callback")
    monkeypatch.delenv("SANDBOX_OIDC_REDIRECT_URIS", raising=False)
    return "http://127.0.0.1:8765/oauth/signed-in"


def test_registered_redirect_uri_is_served_and_redirected_to(sandbox: Sandbox, callback_url: str) -> None:
    page = httpx.get(f"{sandbox.url}/oidc/authorize", params=authorize_query(callback_url))
    assert page.status_code == 200 and 'id="sign-in"' in page.text
    back = sign_in(sandbox, callback_url)
    assert back.status_code == 302 and back.headers["location"].startswith(f"{callback_url}?code=")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        pytest.param("http://attacker.example/oauth/signed-in", id="foreign-host"),
        pytest.param("http://127.0.0.1:8766/oauth/signed-in", id="other-port"),
        pytest.param("http://localhost:8765/oauth/signed-in", id="other-name-same-machine"),
        pytest.param("http://127.0.0.1:8765/oauth/signed-in/", id="trailing-slash"),
        pytest.param("http://127.0.0.1:8765/oauth/signed-in?next=http://attacker.example", id="extra-query"),
        pytest.param("http://127.0.0.1:8765/oauth/callback", id="other-path"),
        pytest.param("https://127.0.0.1:8765/oauth/signed-in", id="other-scheme"),
        pytest.param("HTTP://127.0.0.1:8765/oauth/signed-in", id="case-differs"),
    ],
)
def test_unregistered_redirect_uri_gets_an_error_and_no_redirect(
    sandbox: Sandbox, callback_url: str, redirect_uri: str
) -> None:
    page = httpx.get(f"{sandbox.url}/oidc/authorize", params=authorize_query(redirect_uri))
    assert page.status_code == 400 and "not registered" in page.text and "location" not in page.headers
    posted = sign_in(sandbox, redirect_uri)  # the form's hidden field, tampered
    assert posted.status_code == 400 and "location" not in posted.headers


def test_more_redirect_uris_can_be_registered(
    sandbox: Sandbox, callback_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDBOX_OIDC_REDIRECT_URIS", "https://app.example/cb, http://127.0.0.1:9999/x")
    for uri in ("https://app.example/cb", "http://127.0.0.1:9999/x", callback_url):
        assert sign_in(sandbox, uri).status_code == 302, uri


def test_default_registration_follows_the_stacks_default_callback_url(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALLBACK_URL", raising=False)
    monkeypatch.delenv("SANDBOX_OIDC_REDIRECT_URIS", raising=False)
    assert sign_in(sandbox, "http://localhost:8080/oauth/signed-in").status_code == 302
    assert sign_in(sandbox, "http://localhost:8081/oauth/signed-in").status_code == 400
