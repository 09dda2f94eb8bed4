"""Following an authorization link the way a browser would, for the demo, tests and benchmarks:
open the link, approve as a GitHub stand-in user, and return the `session_id` that the browser
would bring to the callback app (which then completes the binding)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlparse

import httpx

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class ConsentFailed(Exception):
    pass


def approve_on_github(authorization_url: str, *, login: str) -> str:
    """Returns the callback URL the browser lands on (with ?session_id=...)."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        to_github = browser.get(authorization_url)
        _expect(to_github, 302, "the authorization link")
        page = browser.get(to_github.headers["Location"])
        _expect(page, 200, "GitHub's consent page")
        if 'id="authorize"' not in page.text:
            raise ConsentFailed("GitHub's consent page has no Authorize button")
        fields = dict(HIDDEN.findall(page.text))
        back = browser.post(urljoin(str(page.url), "/github/login/oauth/authorize"), data={**fields, "login": login})
        _expect(back, 302, "GitHub's Authorize button")
        to_callback = browser.get(back.headers["Location"])
        _expect(to_callback, 302, "AgentCore Identity's OAuth callback")
    return str(to_callback.headers["Location"])


def session_id_of(callback_url: str) -> str:
    values = parse_qs(urlparse(callback_url).query).get("session_id")
    if not values:
        raise ConsentFailed(f"the browser was sent to {callback_url} without a session_id")
    return values[0]


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise ConsentFailed(f"{what} answered HTTP {response.status_code}: {response.text[:200]}")
