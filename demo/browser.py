"""Following an authorization link the way a browser would, for the demo, tests and benchmarks.

A `Browser` is one person's browser: it keeps cookies (the callback ties a session to the browser that
opened its consent link), follows redirects, signs in at the sandbox identity provider as its person
when sent there, and stops at GitHub's consent page (the stand-in) for `approve`. `authorize` runs the
whole consent for one user: open the MCP server's link, sign in, approve, confirm.

`approve_on_github` is the sandbox-level tool: it approves an AgentCore authorization URL in a browser
without cookies and returns the callback URL it would land on, without going there.
"""

from __future__ import annotations

import re
from types import TracebackType
from urllib.parse import parse_qs, urljoin, urlparse

import httpx

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
"""The hidden fields of the sandbox's pages (GitHub's consent page, the identity provider's sign-in)."""
CONFIRM_FORM = re.compile(r"<input type='hidden' name='([^']+)' value='([^']*)'>")
"""The hidden fields of the callback's confirmation page."""
AGENTCORE_AUTHORIZE_PATH = "/identities/oauth2/authorize"
SIGN_IN_PATH = "/oidc/authorize"
GITHUB_AUTHORIZE_PATH = "/github/login/oauth/authorize"
MAX_REDIRECTS = 12


class ConsentFailed(Exception):
    pass


class Browser:
    """One person's browser, signing in as `person` wherever a sign-in is asked for."""

    def __init__(self, person: str, *, client: httpx.Client | None = None):
        """`client`: how the browser reaches hosts (tests pass one whose transport maps sandbox function URLs to
        loopback: demo/function_urls.py); it must not follow redirects. Closed with the browser."""
        self.person = person
        self.http = client or httpx.Client(follow_redirects=False, timeout=30)
        self.visited: list[str] = []
        """Every URL this browser requested, in order."""

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.http.close()

    def open(self, url: str) -> httpx.Response:
        """The page the browser ends on after following `url`'s redirects (and signing in where asked)."""
        return self._follow(self._get(url))

    def approve(self, page: httpx.Response, *, github_login: str | None = None) -> httpx.Response:
        """Press Authorize on GitHub's consent `page` as `github_login` (default: this browser's person);
        returns the page the browser ends on (the callback's)."""
        if 'id="authorize"' not in page.text:
            raise ConsentFailed(f"not GitHub's consent page (HTTP {page.status_code}): {page.text[:200]}")
        fields = {**dict(HIDDEN.findall(page.text)), "login": github_login or self.person}
        return self._follow(self._post(urljoin(str(page.url), GITHUB_AUTHORIZE_PATH), fields))

    def sign_in(self, url: str) -> str:
        """Sign in as this browser's person on the identity provider's page at `url` (an authorization request
        an app sent the browser to); returns where the provider sends the browser next (the app's redirect URI
        with the code), without going there."""
        page = self._get(url)
        _expect(page, 200, "the identity provider's sign-in page")
        answer = self._post(urljoin(url, SIGN_IN_PATH), {**dict(HIDDEN.findall(page.text)), "user": self.person})
        _expect(answer, 302, "the sign-in form")
        return urljoin(url, answer.headers["Location"])

    def confirm(self, page: httpx.Response) -> httpx.Response:
        """Press the callback's confirmation button on `page`; returns the answer."""
        if page.status_code != 200 or "id='confirm'" not in page.text:
            raise ConsentFailed(f"not the callback's confirmation page (HTTP {page.status_code}): {page.text[:200]}")
        return self._post(str(page.url).split("?")[0], dict(CONFIRM_FORM.findall(page.text)))

    @property
    def agentcore_url(self) -> str:
        """The AgentCore authorization URL this browser was sent to (what a user could copy and forward)."""
        found = [url for url in self.visited if urlparse(url).path == AGENTCORE_AUTHORIZE_PATH]
        if not found:
            raise ConsentFailed("this browser was never sent to AgentCore's authorization URL")
        return found[-1]

    def _follow(self, response: httpx.Response) -> httpx.Response:
        for _ in range(MAX_REDIRECTS):
            if response.status_code not in (301, 302, 303, 307):
                return response
            location = urljoin(str(response.url), response.headers["Location"])
            if urlparse(location).path.endswith(SIGN_IN_PATH):
                page = self._get(location)
                _expect(page, 200, "the identity provider's sign-in page")
                response = self._post(
                    urljoin(location, SIGN_IN_PATH), {**dict(HIDDEN.findall(page.text)), "user": self.person}
                )
            else:
                response = self._get(location)
        raise ConsentFailed("too many redirects")

    def _get(self, url: str) -> httpx.Response:
        self.visited.append(url)
        return self.http.get(url)

    def _post(self, url: str, data: dict[str, str]) -> httpx.Response:
        self.visited.append(url)
        return self.http.post(url, data=data)


def authorize(link: str, *, login: str, github_login: str | None = None) -> httpx.Response:
    """The whole consent in one browser: open the MCP server's `link`, sign in as `login`, approve on GitHub
    as `github_login` (default `login`), confirm at the callback. Returns the last page."""
    with Browser(login) as browser:
        page = browser.open(link)
        landing = browser.approve(page, github_login=github_login)
        if "id='confirm'" not in landing.text:
            return landing
        return browser.confirm(landing)


def approve_on_github(authorization_url: str, *, login: str) -> str:
    """Approve AgentCore's `authorization_url` as `login` in a browser without cookies; returns the callback
    URL (with ?session_id=...) the browser would land on next, without going there."""
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        to_github = browser.get(authorization_url)
        _expect(to_github, 302, "the authorization link")
        page = browser.get(to_github.headers["Location"])
        _expect(page, 200, "GitHub's consent page")
        if 'id="authorize"' not in page.text:
            raise ConsentFailed("GitHub's consent page has no Authorize button")
        fields = dict(HIDDEN.findall(page.text))
        back = browser.post(urljoin(str(page.url), GITHUB_AUTHORIZE_PATH), data={**fields, "login": login})
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
