"""A GitHub stand-in: the OAuth authorize page and token endpoint, and the REST API every operation of
openapi/github.yaml calls (sandbox/github_api.py, over the world of sandbox/github_data.py).

Registered OAuth apps are the sandbox's GitHub credential providers: the client id and secret
must match one, and `redirect_uri` must be that provider's callback URL, as GitHub enforces.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from sandbox.github_api import RATE_LIMIT, rate_limited, route
from sandbox.github_data import USERS as USERS  # the sign-in page's users (sandbox/oidc.py imports them here)
from sandbox.github_data import World


@dataclass
class Grant:
    login: str
    client_id: str
    redirect_uri: str
    scope: str


class GitHubStandIn:
    def __init__(self, apps: Any) -> None:
        """`apps(client_id)` returns (client_secret, callback_url) of a registered app, or None."""
        self.apps = apps
        self.lock = threading.Lock()
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Grant] = {}
        self.world = World()
        self.used: dict[str, int] = {}
        """Requests each user made this hour (the stand-in's hour lasts until it forgets its users)."""
        self.reset_at = int(time.time()) + 3600

    def forget(self) -> None:
        with self.lock:
            self.codes.clear()
            self.tokens.clear()
            self.world = World()
            self.used.clear()

    def use_up_rate_limit(self, login: str) -> None:
        """As if `login` had made RATE_LIMIT requests this hour (tests of the 403 that follows)."""
        with self.lock:
            self.used[login] = RATE_LIMIT

    def authorize_page(self, request: Request) -> Response:
        args = request.args
        app = self.apps(args.get("client_id", ""))
        if app is None:
            return page("Unknown application", "<p>No OAuth app has this client_id.</p>", 404)
        if args.get("redirect_uri") != app[1]:
            return page(
                "Redirect URI mismatch", "<p>The redirect_uri is not this app's Authorization callback URL.</p>", 400
            )
        suggested = args.get("login", "")
        options = "".join(
            f'<option value="{html.escape(u)}"{" selected" if u == suggested else ""}>{html.escape(u)}</option>'
            for u in USERS
        )
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(args.get(k, ""))}">'
            for k in ("client_id", "redirect_uri", "state", "scope")
        )
        body = (
            f"<p>An application wants access to your GitHub account with scopes "
            f"<code>{html.escape(args.get('scope', ''))}</code>.</p>"
            f'<form method="post" action="/github/login/oauth/authorize">{hidden}'
            f'<label>Signed in as <select name="login" id="login">{options}</select></label> '
            f'<button type="submit" id="authorize" name="authorize" value="1">Authorize</button></form>'
        )
        return page("Authorize application (GitHub sandbox)", body)

    def authorize_submit(self, request: Request) -> Response:
        form = request.form
        app = self.apps(form.get("client_id", ""))
        login = form.get("login", "")
        if app is None or form.get("redirect_uri") != app[1] or login not in USERS:
            return page("Bad request", "<p>Unknown app, redirect URI or user.</p>", 400)
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = Grant(login, form["client_id"], form["redirect_uri"], form.get("scope", ""))
        query = urlencode({"code": code, "state": form.get("state", "")})
        return Response(status=302, headers={"Location": f"{form['redirect_uri']}?{query}"})

    def exchange(self, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint: a code for an access token (single use, as on GitHub)."""
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)
        app = self.apps(form.get("client_id", ""))
        if (
            grant is None
            or app is None
            or grant.client_id != form.get("client_id")
            or app[0] != form.get("client_secret")
        ):
            return {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
        token = "gho_sandbox_" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = grant
        return {"access_token": token, "token_type": "bearer", "scope": grant.scope}

    def api(self, request: Request, path: str) -> Response:
        auth = request.headers.get("Authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        grant = self.tokens.get(token)
        if grant is None:
            return _json(
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"},
                401,
            )
        with self.lock:
            used = self.used[grant.login] = self.used.get(grant.login, 0) + 1
            if used > RATE_LIMIT:
                return rate_limited(grant.login, self.reset_at)
            response = route(request, path, grant.login, self.world)
        response.headers["X-RateLimit-Limit"] = str(RATE_LIMIT)
        response.headers["X-RateLimit-Remaining"] = str(RATE_LIMIT - used)
        response.headers["X-RateLimit-Reset"] = str(self.reset_at)
        return response


def _json(body: Any, status: int = 200) -> Response:
    import json

    return Response(json.dumps(body), status=status, content_type="application/json")


def page(title: str, body: str, status: int = 200) -> Response:
    doc = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(doc, status=status, content_type="text/html; charset=utf-8")
