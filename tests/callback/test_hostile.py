"""The callback app against hostile requests: 57 hostile inputs (13 query strings, 9 cookies, 15 form
posts, 5 sign-in returns, 3 methods and paths, 8 consent links and browser cookies, 4 repeated Host or
Origin fields), each answered with
the expected refusal - never a 5xx, never an echo of the input, never a call to AWS - with the strict
headers on every answer, and the pending session left untouched, except where the request shows the
link reached someone else (another browser, another user): then the session is cancelled.

Every request carries the cookie of the browser that opened the session's consent link unless the
case is about that cookie (`browser=False`), so each case tests its own hostility.

In process (Starlette's TestClient): a CUSTOM_JWT stack published at http://127.0.0.1:8080, a
stand-in identity provider that needs no network, and an AWS client that records any call."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from callback.app import build_app
from callback.hardening import SECURITY_HEADERS
from callback.setup import make_state
from callback.signin import Identity, OidcSignIn, Signer, user_cookie_value
from callback.state import CallbackState
from handoff.links import digest
from handoff.sessions import SessionUnavailable

BASE = "http://127.0.0.1:8080"
ISSUER = "https://idp.example"
URI = "urn:ietf:params:oauth:request_uri:pending-one"
ALICE = jwt.encode({"iss": ISSUER, "sub": "alice", "username": "alice"}, "k" * 32, algorithm="HS256")
MARKERS = ("<script", "onerror", "attacker", "x=y", "\x00")
HOSTILE_COUNT = 57
BROWSER = "b" * 43
"""The cookie of the browser that opened the pending session's consent link."""
LINK = "l" * 43
"""The pending session's one-time link value."""


def record_with(store: Any, value: str) -> None:
    """The pending session, recorded as mcp-server does, with `value` as its link's value."""
    store.record(
        session_uri=URI,
        identifier_kind="userToken",
        identifier=ALICE,
        display_name="alice",
        authorization_url="https://agentcore.example/identities/oauth2/authorize?request_uri=x",
        link_hash=digest(value),
    )


class OfflineSignIn(OidcSignIn):
    async def _metadata(self) -> dict[str, Any]:
        return {"authorization_endpoint": f"{ISSUER}/authorize", "token_endpoint": f"{ISSUER}/token", "issuer": ISSUER}


class RecordingAws:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def complete_resource_token_auth(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {}


@pytest.fixture
def state(tmp_path: Path) -> Iterator[CallbackState]:
    authorizer = {"type": "CUSTOM_JWT", "discovery_url": f"{ISSUER}/.well-known/openid-configuration"}
    gateway = {"id": "g", "arn": "arn:aws:bedrock-agentcore:us-east-1:1:gateway/g", "url": "http://127.0.0.1:9/mcp"}
    config = {
        "format_version": 1,
        "stack": "s",
        "region": "us-east-1",
        "callback_url": f"{BASE}/oauth/callback",
        "gateway": {**gateway, "name": "g", "authorizer": {**authorizer, "allowed_clients": ["demo"]}},
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    state = make_state(path, session_store=tmp_path / "s.sqlite3", csrf_secret=None)
    state.signin = OfflineSignIn(discovery_url=authorizer["discovery_url"], client_id="demo")
    state.identity_client = RecordingAws()
    record_with(state.store, LINK)
    state.store.bind_browser(URI, digest(BROWSER))
    yield state


# --- how a hostile request is made -----------------------------------------------------------------

Make = Callable[[CallbackState], dict[str, Any]]
"""From the app's state (its keys), the keyword arguments of one TestClient request."""


@dataclass
class Hostile:
    method: str
    path: str
    expect: int
    make: Make = field(default=lambda state: {})
    browser: bool = True
    """Send the cookie of the browser that opened the consent link."""
    burns: bool = False
    """The refusal cancels the session (the link reached another browser or user)."""


def signed(key: bytes, document: Any) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(document).encode()).decode()
    return f"{payload}.{hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()}"


def user_cookie(state: CallbackState, *, sub: str = "alice", uri: str = URI, max_age: int = 600) -> str:
    value = state.signer.dumps(
        user_cookie_value(uri, Identity(ISSUER, sub, sub)), purpose="oauth_callback_user", max_age=max_age
    )
    return f"oauth_callback_user={value}"


def cookies(*values: str) -> dict[str, str]:
    return {"Cookie": "; ".join(values)}


def form_post(fields: dict[str, str] | None = None, *, cookie: Callable[[CallbackState], str] | None = None) -> Make:
    def make(state: CallbackState) -> dict[str, Any]:
        token = state.csrf.issue(URI)
        body = {"session_id": URI, "csrf_token": token} if fields is None else fields
        body = {k: (token if v == "{csrf}" else v) for k, v in body.items()}
        jar = [f"oauth_callback_csrf={token}", user_cookie(state)] if cookie is None else [cookie(state)]
        return {"data": body, "headers": cookies(*[c for c in jar if c])}

    return make


def raw_post(body: bytes, content_type: str, *, with_cookies: bool = True) -> Make:
    def make(state: CallbackState) -> dict[str, Any]:
        token = state.csrf.issue(URI)
        jar = cookies(f"oauth_callback_csrf={token}", user_cookie(state)) if with_cookies else {}
        return {"content": body, "headers": {"Content-Type": content_type, **jar}}

    return make


def get(params: str) -> str:
    return f"/oauth/callback?{params}"


def pending(state: CallbackState, **extra: Any) -> str:
    document = {"session_id": URI, "state": "st", "nonce": "n", "verifier": "v", **extra}
    return f"oauth_callback_signin={state.signer.dumps(document, purpose='oauth_callback_signin', max_age=600)}"


QUERIES = [
    pytest.param(Hostile("GET", "/oauth/callback", 400), id="no-session-id"),
    pytest.param(Hostile("GET", get("session_id="), 400), id="empty-session-id"),
    pytest.param(Hostile("GET", get("session_id=%3Cscript%3Ealert(1)%3C/script%3E"), 400), id="script"),
    pytest.param(
        Hostile("GET", get(f"session_id={URI}%27%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E"), 400), id="quotes-img"
    ),
    pytest.param(
        Hostile("GET", get("session_id=urn:ietf:params:oauth:request_uri:" + "a" * 1000), 400), id="urn-too-long"
    ),
    pytest.param(Hostile("GET", get("session_id=" + "a" * 3000), 413), id="query-over-2k"),
    pytest.param(Hostile("GET", get(f"session_id={URI}%00"), 400), id="nul-byte"),
    pytest.param(Hostile("GET", get("session_id=%zz%ff%fe"), 400), id="bad-percent-encoding"),
    pytest.param(
        Hostile("GET", get("session_id=urn:ietf:params:oauth:request_uri:%EF%BD%81"), 400), id="fullwidth-letter"
    ),
    pytest.param(Hostile("GET", get(f"session_id={URI}&session_id=%3Cscript%3E"), 400), id="repeated-param"),
    pytest.param(Hostile("GET", get(f"session_id={URI}%0d%0aSet-Cookie:x=y"), 400), id="crlf-injection"),
    pytest.param(
        Hostile("GET", get("session_id=urn:ietf:params:oauth:request_uri:unknown"), 404), id="unknown-session"
    ),
    pytest.param(
        Hostile("GET", get("session_id=urn:ietf:params:oauth:request_uri:x%27%20OR%201=1"), 400), id="sql-injection"
    ),
]
COOKIES = [
    pytest.param(
        Hostile(
            "GET",
            get(f"session_id={URI}"),
            302,
            lambda s: {
                "headers": cookies(
                    signed(b"r" * 32, {"session_id": URI, "iss": ISSUER, "sub": "alice", "exp": 2**40}).join(
                        ["oauth_callback_user=", ""]
                    )
                )
            },
        ),
        id="user-cookie-foreign-key",
    ),
    pytest.param(
        Hostile(
            "GET",
            get(f"session_id={URI}"),
            302,
            lambda s: {
                "headers": cookies(
                    "oauth_callback_user="
                    + signed(s.csrf.key, {"session_id": URI, "iss": ISSUER, "sub": "alice", "exp": 2**40})
                )
            },
        ),
        id="user-cookie-csrf-key",
    ),
    pytest.param(
        Hostile("GET", get(f"session_id={URI}"), 302, lambda s: {"headers": cookies(user_cookie(s, max_age=-1))}),
        id="user-cookie-expired",
    ),
    pytest.param(
        Hostile(
            "GET", get(f"session_id={URI}"), 302, lambda s: {"headers": cookies(user_cookie(s, uri=URI + "-other"))}
        ),
        id="user-cookie-other-session",
    ),
    pytest.param(
        Hostile(
            "GET", get(f"session_id={URI}"), 403, lambda s: {"headers": cookies(user_cookie(s, sub="bob"))}, burns=True
        ),
        id="user-cookie-other-user",
    ),
    pytest.param(
        Hostile(
            "GET", get(f"session_id={URI}"), 302, lambda s: {"headers": cookies("oauth_callback_user=" + "%%%" * 2000)}
        ),
        id="user-cookie-6k-garbage",
    ),
    pytest.param(
        Hostile(
            "GET",
            get(f"session_id={URI}"),
            302,
            lambda s: {"headers": cookies("oauth_callback_user=" + signed(s.signer.key, [URI, "alice"]))},
        ),
        id="user-cookie-array",
    ),
    pytest.param(
        Hostile(
            "GET",
            get(f"session_id={URI}"),
            302,
            lambda s: {
                "headers": cookies(
                    "oauth_callback_user="
                    + signed(s.signer.key, {"session_id": URI, "iss": ISSUER, "sub": "alice", "exp": "9999999999"})
                )
            },
        ),
        id="user-cookie-string-expiry",
    ),
    pytest.param(
        Hostile(
            "GET",
            get(f"session_id={URI}"),
            302,
            lambda s: {
                "headers": cookies(
                    "oauth_callback_user=" + signed(s.signer.key, {"session_id": URI, "iss": ISSUER, "sub": "alice"})
                )
            },
        ),
        id="user-cookie-no-expiry",
    ),
]
POSTS = [
    pytest.param(Hostile("POST", "/oauth/callback", 400, lambda s: {}), id="empty-body"),
    pytest.param(Hostile("POST", "/oauth/callback", 403, form_post({"session_id": URI})), id="no-csrf-token"),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            403,
            lambda s: form_post({"session_id": URI, "csrf_token": s.csrf.issue(URI + "x")})(s),
        ),
        id="csrf-of-another-session",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            403,
            form_post(
                {"session_id": URI, "csrf_token": "abc.def"},
                cookie=lambda s: "oauth_callback_csrf=abc.def; " + user_cookie(s),
            ),
        ),
        id="csrf-forged-mac",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            403,
            form_post(cookie=lambda s: f"oauth_callback_csrf={s.csrf.issue(URI)}; " + user_cookie(s)),
        ),
        id="csrf-cookie-differs",
    ),
    pytest.param(Hostile("POST", "/oauth/callback", 403, form_post(cookie=lambda s: "")), id="csrf-without-cookie"),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            403,
            lambda s: {
                "data": {"session_id": URI, "csrf_token": (t := s.csrf.issue(URI))},
                "headers": cookies(f"oauth_callback_csrf={t}"),
            },
        ),
        id="no-sign-in",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            403,
            lambda s: {
                "data": {"session_id": URI, "csrf_token": (t := s.csrf.issue(URI))},
                "headers": cookies(f"oauth_callback_csrf={t}", user_cookie(s, sub="bob")),
            },
            burns=True,
        ),
        id="signed-in-as-someone-else",
    ),
    pytest.param(
        Hostile("POST", "/oauth/callback", 400, raw_post(json.dumps({"session_id": URI}).encode(), "application/json")),
        id="json-body",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            400,
            raw_post(
                b'--b\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\nx\r\n--b--\r\n',
                "multipart/form-data; boundary=b",
            ),
        ),
        id="multipart-file",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            400,
            raw_post(b"&".join(b"f%d=1" % i for i in range(50)), "application/x-www-form-urlencoded"),
        ),
        id="50-fields",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            413,
            raw_post(b"session_id=" + b"a" * 20_000, "application/x-www-form-urlencoded"),
        ),
        id="body-20k",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            413,
            lambda s: {
                "content": (b"a" * 4096 for _ in range(100)),
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
        ),
        id="chunked-400k",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            400,
            raw_post(b"session_id=%ff%fe&csrf_token=%00", "application/x-www-form-urlencoded"),
        ),
        id="invalid-utf8",
    ),
    pytest.param(
        Hostile("POST", "/oauth/callback", 400, raw_post(f"session_id={URI}".encode(), "text/plain")), id="text-plain"
    ),
]
RETURNS = [
    pytest.param(Hostile("GET", "/oauth/signed-in?code=c&state=st", 400), id="no-pending-cookie"),
    pytest.param(
        Hostile("GET", "/oauth/signed-in?code=c&state=other", 400, lambda s: {"headers": cookies(pending(s))}),
        id="state-mismatch",
    ),
    pytest.param(
        Hostile(
            "GET",
            "/oauth/signed-in?code=c&state=st",
            400,
            lambda s: {"headers": cookies("oauth_callback_signin=" + signed(b"r" * 32, {"state": "st", "exp": 2**40}))},
        ),
        id="pending-forged",
    ),
    pytest.param(
        Hostile(
            "GET", "/oauth/signed-in?error=access_denied&state=st", 403, lambda s: {"headers": cookies(pending(s))}
        ),
        id="provider-refused",
    ),
    pytest.param(
        Hostile(
            "GET",
            "/oauth/signed-in?code=c&state=st",
            400,
            lambda s: {
                "headers": cookies(
                    "oauth_callback_signin="
                    + s.signer.dumps({"session_id": URI, "state": "st"}, purpose="oauth_callback_signin", max_age=-5)
                )
            },
        ),
        id="pending-expired",
    ),
]
OTHERS = [
    pytest.param(Hostile("PUT", "/oauth/callback", 405), id="put"),
    pytest.param(Hostile("GET", "/oauth/../../etc/passwd", 404), id="path-traversal"),
    pytest.param(Hostile("GET", "/" + "a" * 1500, 404), id="long-path"),
]


def start(value: str) -> str:
    return f"/oauth/start?link={value}"


BROWSERS = [
    pytest.param(
        Hostile(
            "GET",
            get(f"session_id={URI}"),
            403,
            lambda s: {"headers": cookies(user_cookie(s))},
            browser=False,
            burns=True,
        ),
        id="landing-without-browser-cookie",
    ),
    pytest.param(
        Hostile(
            "GET",
            get(f"session_id={URI}"),
            403,
            lambda s: {"headers": cookies(user_cookie(s), f"oauth_callback_browser={'c' * 43}")},
            browser=False,
            burns=True,
        ),
        id="landing-with-another-browser-cookie",
    ),
    pytest.param(
        Hostile(
            "POST",
            "/oauth/callback",
            403,
            lambda s: {
                "data": {"session_id": URI, "csrf_token": (t := s.csrf.issue(URI))},
                "headers": cookies(f"oauth_callback_csrf={t}", user_cookie(s), "oauth_callback_browser=<script>"),
            },
            browser=False,
            burns=True,
        ),
        id="post-with-garbage-browser-cookie",
    ),
    pytest.param(
        Hostile(
            "GET",
            start(LINK),
            403,
            lambda s: {"headers": cookies(user_cookie(s), f"oauth_callback_browser={'c' * 43}")},
            browser=False,
            burns=True,
        ),
        id="link-opened-in-a-second-browser",
    ),
    pytest.param(
        Hostile("GET", start(LINK), 403, lambda s: {"headers": cookies(user_cookie(s, sub="bob"))}, burns=True),
        id="link-opened-by-another-user",
    ),
    pytest.param(Hostile("GET", start("<script>alert(1)</script>"), 400), id="link-script"),
    pytest.param(Hostile("GET", start("m" * 43), 404), id="link-unknown"),
    pytest.param(Hostile("GET", start(LINK + "x"), 400), id="link-too-long"),
]


@pytest.mark.parametrize("hostile", [*QUERIES, *COOKIES, *POSTS, *RETURNS, *OTHERS, *BROWSERS])
def test_hostile_request_gets_its_refusal(state: CallbackState, hostile: Hostile) -> None:
    request = hostile.make(state)
    if hostile.browser:
        jar = request.setdefault("headers", {}).get("Cookie", "")
        request["headers"]["Cookie"] = "; ".join(c for c in (jar, f"oauth_callback_browser={BROWSER}") if c)
    with TestClient(build_app(state), base_url=BASE, follow_redirects=False) as client:
        response = client.request(hostile.method, hostile.path, **request)
    assert response.status_code == hostile.expect, response.text[:500]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    text = response.text.lower() + json.dumps(dict(response.headers)).lower()
    assert not [m for m in MARKERS if m in text]
    if response.status_code == 302:
        assert response.headers["location"].startswith(f"{ISSUER}/authorize?")
        assert "login_hint" not in response.headers["location"]
    assert isinstance(state.identity_client, RecordingAws) and state.identity_client.calls == []
    if hostile.burns:
        with pytest.raises(SessionUnavailable, match="used"):
            state.store.get(URI)
    else:
        assert state.store.get(URI).identifier == ALICE  # still pending, for its initiator


REPEATED = [
    pytest.param([("Host", "127.0.0.1:8080"), ("Host", "attacker.example")], id="host-then-foreign-host"),
    pytest.param([("Host", "attacker.example"), ("Host", "127.0.0.1:8080")], id="foreign-host-then-host"),
    pytest.param([("Origin", "http://127.0.0.1:8080"), ("Origin", "https://attacker.example")], id="two-origins"),
    pytest.param([("Origin", "http://127.0.0.1:8080"), ("Origin", "http://127.0.0.1:8080")], id="origin-twice"),
]
"""Intermediaries that use the last value would see another Host or Origin than the app did (RFC 9112 §3.2)."""


@pytest.mark.parametrize("fields", REPEATED)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_repeated_host_or_origin_is_refused_with_400(
    state: CallbackState, fields: list[tuple[str, str]], method: str
) -> None:
    request = form_post()(state) if method == "POST" else {"headers": {}}
    jar = "; ".join(c for c in (request["headers"].get("Cookie", ""), f"oauth_callback_browser={BROWSER}") if c)
    headers = [*fields, ("Cookie", jar)]
    with TestClient(build_app(state), base_url=BASE, follow_redirects=False) as client:
        response = client.request(method, get(f"session_id={URI}"), **{**request, "headers": headers})
    assert response.status_code == 400, response.text[:300]
    assert response.headers["x-frame-options"] == "DENY" and "attacker" not in response.text
    assert isinstance(state.identity_client, RecordingAws) and state.identity_client.calls == []
    assert state.store.get(URI).identifier == ALICE  # still pending, for its initiator


def test_the_legitimate_path_still_completes(state: CallbackState) -> None:
    """The same fixture, used properly: the session is completed once, for alice."""
    request = form_post()(state)
    request["headers"]["Cookie"] += f"; oauth_callback_browser={BROWSER}"
    with TestClient(build_app(state), base_url=BASE, follow_redirects=False) as client:
        response = client.request("POST", "/oauth/callback", **request)
    assert response.status_code == 200 and "id='done'" in response.text
    assert isinstance(state.identity_client, RecordingAws)
    assert state.identity_client.calls == [{"sessionUri": URI, "userIdentifier": {"userToken": ALICE}}]


def test_the_docstring_counts_the_hostile_inputs() -> None:
    counts = [len(QUERIES), len(COOKIES), len(POSTS), len(RETURNS), len(OTHERS), len(BROWSERS), len(REPEATED)]
    assert counts == [13, 9, 15, 5, 3, 8, 4] and sum(counts) == HOSTILE_COUNT
    assert f"{HOSTILE_COUNT} hostile inputs" in (__doc__ or "")


def test_cookies_signed_by_this_app_still_work(state: CallbackState) -> None:
    assert (
        Signer(state.signer.key).loads(user_cookie(state).split("=", 1)[1], purpose="oauth_callback_user") is not None
    )
