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
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
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


CONFIRM_FORM = re.compile(r"<input type='hidden' name='([^']+)' value='([^']*)'>")


def open_callback(browser: httpx.Client, landing: str, *, login: str) -> httpx.Response:
    """Open the callback link in `browser`; when the callback sends it to sign in, sign in at the
    sandbox identity provider as `login`. Returns the page the browser ends on."""
    response = browser.get(landing)
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response
        location = urljoin(str(response.url), response.headers["Location"])
        if urlparse(location).path.endswith("/oidc/authorize"):
            page = browser.get(location)
            _expect(page, 200, "the identity provider's sign-in page")
            response = browser.post(
                urljoin(location, "/oidc/authorize"), data={**dict(HIDDEN.findall(page.text)), "user": login}
            )
        else:
            response = browser.get(location)
    raise ConsentFailed("too many redirects on the way to the callback's page")


def confirm_on_callback(landing: str, *, login: str) -> httpx.Response:
    """Sign in as `login` if asked, then press the confirmation button; returns the final page."""
    with httpx.Client(timeout=30) as browser:
        page = open_callback(browser, landing, login=login)
        if page.status_code != 200 or "id='confirm'" not in page.text:
            return page
        return browser.post(str(page.url).split("?")[0], data=dict(CONFIRM_FORM.findall(page.text)))
