"""Signing in through the loopback redirect, staying signed in (renewal before expiry, rotation), and a
refused refresh that says "sign in again"; the fallback file is 0600 and no token reaches stderr."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path
from typing import Any

import httpx
import jwt
import keyring
import pytest
from click.testing import CliRunner
from keyring.backend import KeyringBackend

from connect.__main__ import Options, main, token_source
from connect.oauth import SignInRequired, TokenSource
from connect.relay import Relay
from connect.store import KeyringStore, open_store
from sandbox.server import Sandbox
from tests.connect.conftest import CLIENT_ID, browser


def options(config: Path, **overrides: Any) -> Options:
    values: dict[str, Any] = dict(
        config=config,
        profile=None,
        region=None,
        url=None,
        discovery_url=None,
        client_id=None,
        scope="openid offline_access",
        resource=None,
        keyring=True,
    )
    return Options(**{**values, **overrides})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def saved(home: Path) -> dict[str, Any]:
    (entry,) = json.loads((home / "credentials.json").read_text()).values()
    return dict(entry)


def test_login_signs_in_through_the_loopback_and_keeps_the_refresh_token_in_a_0600_file(
    config: Path, no_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    monkeypatch.setattr("webbrowser.open", browser("alice", seen))
    result = CliRunner().invoke(main, ["login", "--config", str(config)])
    assert result.exit_code == 0, result.output
    (url,) = seen
    query = dict(httpx.URL(url).params)
    assert query["code_challenge_method"] == "S256" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"].startswith("http://127.0.0.1:") and query["redirect_uri"].endswith("/callback")
    path = no_keyring / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(no_keyring.stat().st_mode) == 0o700
    entry = saved(no_keyring)
    assert entry["client_id"] == CLIENT_ID and entry["refresh_token"]
    assert result.stderr.count("no OS keyring is available") == 1
    assert entry["refresh_token"] not in result.output + result.stderr
    assert "signed in" in result.stderr


def test_a_session_renews_its_token_before_expiry_and_stores_the_rotated_refresh_token(
    idp: Sandbox, config: Path, no_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDBOX_OIDC_TOKEN_LIFETIME", "60")
    clock, said = Clock(), []
    with httpx.Client() as http:
        tokens = token_source(options(config), http=http, open_browser=browser("alice"), say=said.append)
        tokens.clock = clock
        first = tokens.access_token()  # first use: the browser sign-in
        first_refresh = saved(no_keyring)["refresh_token"]
        clock.now += 20
        assert tokens.access_token() == first  # still fresh: no request
        clock.now += 15  # 35 s into a 60 s token: renewed ahead of expiry
        second = tokens.access_token()
        assert second != first and claims(second)["sub"] == "alice"
        assert claims(second)["exp"] > claims(first)["exp"] - 1
        rotated = saved(no_keyring)["refresh_token"]
        assert rotated != first_refresh
        # a new process (the next time the client starts mcp-connect) renews with the rotated token, no browser
        later = token_source(options(config), http=http, open_browser=_no_browser, say=said.append)
        assert claims(later.access_token())["sub"] == "alice"
    assert not any(secret in "".join(said) for secret in (first, second, first_refresh, rotated))


def _no_browser(url: str) -> bool:
    raise AssertionError("no browser sign-in was expected")


def test_a_revoked_refresh_token_says_sign_in_again_as_a_tool_error_not_a_crash(
    idp: Sandbox, config: Path, no_keyring: Path
) -> None:
    said: list[str] = []
    with httpx.Client() as http:
        token_source(options(config), http=http, open_browser=browser("bob"), say=said.append).login()
        assert httpx.post(f"{idp.url}/oidc/__revoke", json={"user": "bob"}).status_code == 200
        tokens = token_source(options(config), http=http, open_browser=_no_browser, say=said.append)
        with pytest.raises(SignInRequired, match="sign in again: mcp-connect login"):
            tokens.access_token()
        with pytest.raises(SignInRequired, match="mcp-connect login"):  # and no browser pops up later
            tokens.access_token()
        assert json.loads((no_keyring / "credentials.json").read_text()) == {}  # the dead token is forgotten

        def refuse(request: httpx.Request) -> httpx.Response:
            raise AssertionError("nothing is sent without a token")

        runtime = httpx.Client(transport=httpx.MockTransport(refuse), auth=_TokenAuth(tokens))
        relay = Relay("http://127.0.0.1:9/mcp", runtime, _Lines(), said.append)
        call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "get_user_repos"}}
        (answer,) = relay.forward(call)
        assert answer["id"] == 7 and answer["result"]["isError"] is True
        assert "sign in again: mcp-connect login" in answer["result"]["content"][0]["text"]
        (listing,) = relay.forward({"jsonrpc": "2.0", "id": 8, "method": "tools/list"})
        assert "mcp-connect login" in listing["error"]["message"]
    assert any("sign in again: mcp-connect login" in line for line in said)


class _TokenAuth(httpx.Auth):
    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["X-Token"] = self.tokens.access_token()
        yield request


class _Lines:
    def write(self, text: str) -> None: ...

    def flush(self) -> None: ...


def test_without_a_client_id_it_registers_itself_dynamically(idp: Sandbox, config: Path, no_keyring: Path) -> None:
    config.write_text(config.read_text().replace(f'"{CLIENT_ID}"', ""))  # no allowed client in the hand-off
    with httpx.Client() as http:
        tokens = token_source(options(config), http=http, open_browser=browser("carol"), say=lambda _: None)
        token = tokens.access_token()
    assert claims(token)["sub"] == "carol"
    assert saved(no_keyring)["client_id"].startswith("sandbox-dcr-")


def test_logout_forgets_the_sign_in(config: Path, no_keyring: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("webbrowser.open", browser("alice"))
    runner = CliRunner()
    assert runner.invoke(main, ["login", "--config", str(config)]).exit_code == 0
    out = runner.invoke(main, ["logout", "--config", str(config)])
    assert out.exit_code == 0 and "signed out" in out.stderr
    assert json.loads((no_keyring / "credentials.json").read_text()) == {}
    again = runner.invoke(main, ["logout", "--config", str(config)])
    assert "no sign-in was kept" in again.stderr


class _MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def test_with_an_os_keyring_the_sign_in_goes_there_and_no_file_is_written(
    config: Path, no_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = _MemoryKeyring()
    keyring.set_keyring(memory)
    said: list[str] = []
    store = open_store(say=said.append)
    assert isinstance(store, KeyringStore) and said == []
    with httpx.Client() as http:
        tokens = token_source(options(config), http=http, open_browser=browser("alice"), say=said.append)
        tokens.login()
    ((service, _), secret) = next(iter(memory.secrets.items()))
    assert service == "mcp-connect" and json.loads(secret)["client_id"] == CLIENT_ID
    assert not (no_keyring / "credentials.json").exists()  # only the refresh lock lives there


def test_help_teaches_the_client_entry() -> None:
    text = CliRunner().invoke(main, ["--help"]).output
    for words in ("login", "logout", "serve", "--profile", "--config", "keyring", '"command"'):
        assert words in text


def test_after_sign_in_again_a_running_relay_picks_the_new_sign_in_up(
    idp: Sandbox, config: Path, no_keyring: Path
) -> None:
    said: list[str] = []
    with httpx.Client() as http:
        running = token_source(options(config), http=http, open_browser=browser("bob"), say=said.append)
        running.access_token()
        httpx.post(f"{idp.url}/oidc/__revoke", json={"user": "bob"})
        running._renew_at = 0.0  # its access token is due
        with pytest.raises(SignInRequired):
            running.access_token()
        # the user runs `mcp-connect login` in a terminal: another process, the same store
        token_source(options(config), http=http, open_browser=browser("bob"), say=said.append).login()
        assert claims(running.access_token())["sub"] == "bob"


def test_two_processes_of_one_user_renew_in_turn_without_reusing_a_rotated_refresh_token(
    idp: Sandbox, config: Path, no_keyring: Path
) -> None:
    """Two MCP clients open, two mcp-connect processes, one stored sign-in: renewals are serialized across
    processes and each reads the latest refresh token, so the server never sees one used twice (which
    would revoke the whole family)."""
    with httpx.Client() as http:
        first = token_source(options(config), http=http, open_browser=browser("alice"), say=lambda _: None)
        first.login()
        second = token_source(options(config), http=http, open_browser=_no_browser, say=lambda _: None)
        errors: list[BaseException] = []

        def renew(tokens: TokenSource) -> None:
            try:
                for _ in range(5):
                    tokens._renew_at = 0.0
                    tokens.access_token()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=renew, args=(t,)) for t in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
