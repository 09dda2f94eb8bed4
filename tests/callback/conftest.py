"""The callback app served over real HTTP next to an applied stack, an MCP server and the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest

from callback.app import build_app
from callback.setup import make_state
from callback.state import CallbackState
from demo.browser import Browser
from handoff.sqlite_sessions import SqliteSessionStore
from tests.asgi import serving_asgi
from tests.server.conftest import Stack, serving, stack  # noqa: F401 (the fixture deployment uses)
from tests.sessions import link_for, record


@dataclass
class Deployment:
    stack: Stack
    callback: str
    """Base URL of the callback app (the stack's return URL points here)."""
    mcp: str
    state: CallbackState

    @property
    def store(self) -> SqliteSessionStore:
        assert isinstance(self.state.store, SqliteSessionStore)
        return self.state.store


@pytest.fixture
def deployment(stack: Stack, callback_port: int) -> Iterator[Deployment]:  # noqa: F811
    """The shared applied stack (its return URL points at `callback_port`) with this test's own callback app,
    session store and mcp-server."""
    state = make_state(stack.workdir / "config.json", session_store=None, csrf_secret=None)
    with serving_asgi(build_app(state), port=callback_port) as callback, serving(stack.tools()) as mcp:
        yield Deployment(stack, callback, f"{mcp}/mcp", state)


def landing_url(deployment: Deployment, uri: str) -> str:
    """Where AgentCore sends the browser after consent for session `uri`."""
    return f"{deployment.callback}/oauth/callback?{urlencode({'session_id': uri})}"


def recorded_link(deployment: Deployment, uri: str, token: str, *, name: str = "alice") -> str:
    """Record session `uri` as mcp-server does, with an "AgentCore URL" that comes straight back to the
    callback (as if consent were instant); returns the consent link the server would hand out."""
    value = record(deployment.store, uri, token, name=name, authorization_url=landing_url(deployment, uri))
    return link_for(deployment.callback, value)


def opened(deployment: Deployment, browser: Browser, uri: str, token: str, *, name: str = "alice") -> httpx.Response:
    """Record session `uri` and open its consent link in `browser` (signing in as its person); returns the
    page it ends on: the confirmation when all is well."""
    return browser.open(recorded_link(deployment, uri, token, name=name))


def confirm_form(html: str) -> dict[str, str]:
    import re

    return dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", html))


def open_confirmation(client: httpx.Client, landing_url: str) -> httpx.Response:
    response = client.get(landing_url)
    assert response.status_code == 200, response.text
    return response
