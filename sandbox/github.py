"""A GitHub stand-in: the OAuth authorize page and token endpoint, and `/user`, `/user/repos`.

Registered OAuth apps are the sandbox's GitHub credential providers: the client id and secret
must match one, and `redirect_uri` must be that provider's callback URL, as GitHub enforces.
"""

from __future__ import annotations

import html
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

LANGUAGES = ["Python", "Go", "TypeScript", "Rust", None]


def fixture_repos(login: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{login}-project-{i:02d}",
            "full_name": f"{login}/{login}-project-{i:02d}",
            "private": i % 3 == 0,
            "description": f"Project {i} of {login}" if i % 4 else None,
            "html_url": f"https://github.com/{login}/{login}-project-{i:02d}",
            "stargazers_count": (i * 7) % 23,
            "language": LANGUAGES[i % len(LANGUAGES)],
            "updated_at": f"2026-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}T12:00:00Z",
            "created_at": f"2025-{(i % 12) + 1:02d}-01T09:00:00Z",
            "pushed_at": f"2026-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}T12:30:00Z",
        }
        for i in range(1, count + 1)
    ]


USERS: dict[str, dict[str, Any]] = {
    "alice": {
        "login": "alice",
        "name": "Alice Liddell",
        "bio": "Down the rabbit hole",
        "followers": 42,
        "following": 7,
        "repos": 35,
    },
    "bob": {"login": "bob", "name": "Bob Builder", "bio": None, "followers": 3, "following": 11, "repos": 4},
    "carol": {
        "login": "carol",
        "name": "Carol Danvers",
        "bio": "Higher, further, faster",
        "followers": 900,
        "following": 1,
        "repos": 0,
    },
}


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

    def forget(self) -> None:
        with self.lock:
            self.codes.clear()
            self.tokens.clear()

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
            return _json({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, 401)
        user = USERS[grant.login]
        if path == "user":
            return _json(
                {
                    "login": user["login"],
                    "name": user["name"],
                    "bio": user["bio"],
                    "public_repos": sum(1 for r in fixture_repos(user["login"], user["repos"]) if not r["private"]),
                    "followers": user["followers"],
                    "following": user["following"],
                    "html_url": f"https://github.com/{user['login']}",
                }
            )
        if path == "user/repos":
            return self._repos(request, user)
        return _json({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, 404)

    def _repos(self, request: Request, user: dict[str, Any]) -> Response:
        try:
            per_page = min(max(int(request.args.get("per_page", 30)), 1), 100)
            page = max(int(request.args.get("page", 1)), 1)
        except ValueError:
            return _json({"message": "Invalid pagination parameters"}, 422)
        sort = request.args.get("sort", "full_name")
        if sort not in ("created", "updated", "pushed", "full_name"):
            return _json({"message": f"Invalid sort: {sort}"}, 422)
        repos = fixture_repos(user["login"], user["repos"])
        visibility = request.args.get("visibility", "all")
        if visibility != "all":
            repos = [r for r in repos if r["private"] == (visibility == "private")]
        key = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at", "full_name": "full_name"}[sort]
        default_desc = sort != "full_name"
        descending = request.args.get("direction", "desc" if default_desc else "asc") == "desc"
        repos.sort(key=lambda r: r[key], reverse=descending)
        chunk = repos[(page - 1) * per_page : page * per_page]
        last = max((len(repos) + per_page - 1) // per_page, 1)
        links = []
        base = f"{request.base_url}"
        if page < last:
            links += [
                f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"',
                f'<{base}?per_page={per_page}&page={last}>; rel="last"',
            ]
        if page > 1:
            links += [
                f'<{base}?per_page={per_page}&page=1>; rel="first"',
                f'<{base}?per_page={per_page}&page={page - 1}>; rel="prev"',
            ]
        response = _json(chunk)
        if links:
            response.headers["Link"] = ", ".join(links)
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
