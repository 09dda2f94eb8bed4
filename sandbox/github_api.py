"""The GitHub stand-in's REST API: every operation of openapi/github.yaml, answered as api.github.com answers
(docs.github.com/rest): lists paginated with `per_page`/`page` and a `Link` header (rel next/last/first/prev),
private repositories of others answered 404 (GitHub hides what a token cannot see), writes refused 403 where
GitHub requires rights the user lacks, 422 with `errors` for what GitHub validates itself, and every answer
counted against the user's rate limit (`X-RateLimit-*` headers; 403 once it is used up)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from sandbox.github_data import (
    ORGS,
    USERS,
    World,
    branches,
    commits,
    content_entry,
    files,
    fixture_repos,
    issue,
    pull_files,
    pull_request,
    reviews,
)

DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
"""Requests per hour for a user's OAuth token (docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api)."""
Handler = Callable[["Call"], Response]


class Call:
    """One API request by a signed-in user."""

    def __init__(self, request: Request, login: str, world: World, match: re.Match[str]):
        self.request, self.login, self.world, self.params = request, login, world, match.groupdict()

    def repo(self) -> dict[str, Any] | None:
        """The repository in the path, when this user can see it (another user's private one: None, a 404)."""
        owner, name = self.params["owner"], self.params["repo"]
        found = next((r for r in all_repos() if r["full_name"] == f"{owner}/{name}"), None)
        return found if found is not None and (not found["private"] or owner == self.login) else None

    def body(self) -> dict[str, Any]:
        try:
            value = json.loads(self.request.get_data() or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def all_repos() -> list[dict[str, Any]]:
    return [r for login, user in USERS.items() for r in fixture_repos(login, user["repos"])]


def error(status: int, message: str, **extra: Any) -> Response:
    return _json({"message": message, **extra, "documentation_url": DOCS, "status": str(status)}, status)


def not_found() -> Response:
    return error(404, "Not Found")


def rate_limited(login: str, reset: int) -> Response:
    response = error(403, f"API rate limit exceeded for user ID {abs(hash(login)) % 100000}.")
    response.headers.update({"X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": "0"})
    response.headers["X-RateLimit-Reset"] = str(reset)
    return response


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def paginated(call: Call, items: list[Any], wrap: Callable[[list[Any]], Any] | None = None) -> Response:
    """One page of `items`, with GitHub's Link header. per_page above 100 counts as 100, as on GitHub."""
    try:
        per_page = min(max(int(call.request.args.get("per_page", 30)), 1), 100)
        page = max(int(call.request.args.get("page", 1)), 1)
    except ValueError:
        return error(422, "Invalid pagination parameters")
    chunk = items[(page - 1) * per_page : page * per_page]
    response = _json(wrap(chunk) if wrap else chunk)
    last = max((len(items) + per_page - 1) // per_page, 1)
    base = call.request.base_url
    query = {k: v for k, v in call.request.args.items() if k not in ("page", "per_page")}

    def link(number: int, rel: str) -> str:
        return f'<{base}?{urlencode({**query, "per_page": per_page, "page": number})}>; rel="{rel}"'

    links = [link(page + 1, "next"), link(last, "last")] if page < last else []
    links += [link(1, "first"), link(page - 1, "prev")] if page > 1 else []
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def user_profile(call: Call) -> Response:
    return _json(_profile(call.login))


def other_user(call: Call) -> Response:
    login = call.params["username"]
    return _json(_profile(login)) if login in USERS else not_found()


def _profile(login: str) -> dict[str, Any]:
    user = USERS[login]
    return {
        "login": login,
        "name": user["name"],
        "bio": user["bio"],
        "public_repos": sum(1 for r in fixture_repos(login, user["repos"]) if not r["private"]),
        "followers": user["followers"],
        "following": user["following"],
        "html_url": f"https://github.com/{login}",
    }


def public_repos(call: Call) -> Response:
    """GET /users/{username}/repos: not in the shipped document (tests add it, as a user would add an operation)."""
    login = call.params["username"]
    if login not in USERS:
        return not_found()
    return paginated(call, [r for r in fixture_repos(login, USERS[login]["repos"]) if not r["private"]])


def my_orgs(call: Call) -> Response:
    orgs = [{"login": o, "description": ORGS[o]} for o in USERS[call.login]["orgs"]]
    return paginated(call, orgs)


def my_repos(call: Call) -> Response:
    args = call.request.args
    sort = args.get("sort", "full_name")
    if sort not in ("created", "updated", "pushed", "full_name"):
        return error(422, f"Invalid sort: {sort}")
    repos = fixture_repos(call.login, USERS[call.login]["repos"])
    visibility = args.get("visibility", "all")
    if visibility != "all":
        repos = [r for r in repos if r["private"] == (visibility == "private")]
    key = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at", "full_name": "full_name"}[sort]
    descending = args.get("direction", "desc" if sort != "full_name" else "asc") == "desc"
    repos.sort(key=lambda r: r[key], reverse=descending)
    return paginated(call, repos)


def get_repo(call: Call) -> Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    issues = call.world.repo_issues(repo)
    return _json({**repo, "open_issues_count": sum(1 for i in issues if i["state"] == "open")})


def list_branches(call: Call) -> Response:
    repo = call.repo()
    return not_found() if repo is None else paginated(call, branches(repo))


def get_contents(call: Call) -> Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    tree, path = files(repo), call.params["path"].strip("/")
    if path in tree:
        return _json(content_entry(repo, path, tree[path]))
    prefix = f"{path}/" if path else ""
    entries = {p[len(prefix) :].split("/")[0] for p in tree if p.startswith(prefix)}
    if not entries:
        return not_found()
    listing = [
        content_entry(repo, prefix + e, tree.get(prefix + e))
        if prefix + e in tree
        else content_entry(repo, prefix + e, None)
        for e in sorted(entries)
    ]
    return _json(listing)


def list_commits(call: Call) -> Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    found = commits(repo)
    path = call.request.args.get("path")
    if path:
        found = [c for c in found if path in c["files"]]
    return paginated(call, [{k: v for k, v in c.items() if k != "files"} for c in found])


def list_issues(call: Call) -> Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    state = call.request.args.get("state", "open")
    labels = {n for n in call.request.args.get("labels", "").split(",") if n}
    found = [
        i
        for i in call.world.repo_issues(repo)
        if (state == "all" or i["state"] == state) and labels <= {label["name"] for label in i["labels"]}
    ]
    return paginated(call, found)


def create_issue(call: Call) -> Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    body = call.body()
    if not str(body.get("title") or "").strip():
        return error(
            422, "Validation Failed", errors=[{"resource": "Issue", "code": "missing_field", "field": "title"}]
        )
    issues = call.world.repo_issues(repo)
    made = issue(repo, len(issues) + 1, str(body["title"]), call.login, "open", body=str(body.get("body") or ""))
    made["labels"] = [{"name": str(n)} for n in body.get("labels") or []]
    issues.append(made)
    return _json(made, 201)


def _issue(call: Call) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    number = int(call.params["number"])
    found = next((i for i in call.world.repo_issues(repo) if i["number"] == number), None)
    return not_found() if found is None else (repo, found)


def get_issue(call: Call) -> Response:
    found = _issue(call)
    if isinstance(found, Response):
        return found
    repo, item = found
    return _json({**item, "comments": len(call.world.issue_comments(repo, item["number"]))})


def update_issue(call: Call) -> Response:
    found = _issue(call)
    if isinstance(found, Response):
        return found
    repo, item = found
    if call.login not in (repo["owner"]["login"], item["user"]["login"]):
        return error(403, "Must have admin rights to Repository.")
    body = call.body()
    if "state" in body and body["state"] not in ("open", "closed"):
        return error(422, "Validation Failed", errors=[{"resource": "Issue", "code": "invalid", "field": "state"}])
    item.update({k: body[k] for k in ("title", "body", "state") if k in body})
    return _json(item)


def list_comments(call: Call) -> Response:
    found = _issue(call)
    if isinstance(found, Response):
        return found
    return paginated(call, call.world.issue_comments(*_numbered(found)))


def create_comment(call: Call) -> Response:
    found = _issue(call)
    if isinstance(found, Response):
        return found
    text = str(call.body().get("body") or "")
    if not text.strip():
        return error(
            422, "Validation Failed", errors=[{"resource": "IssueComment", "code": "missing_field", "field": "body"}]
        )
    repo, item = found
    comment_id = next(call.world.ids)
    url = f"{item['html_url']}#issuecomment-{comment_id}"
    comment = {"id": comment_id, "body": text, "user": {"login": call.login}, "html_url": url,
               "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
    call.world.issue_comments(repo, item["number"]).append(comment)
    return _json(comment, 201)


def _numbered(found: tuple[dict[str, Any], dict[str, Any]]) -> tuple[dict[str, Any], int]:
    return found[0], found[1]["number"]


def delete_comment(call: Call) -> Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    comment_id = int(call.params["comment_id"])
    for key, comments in call.world.comments.items():
        for comment in comments:
            if key.startswith(repo["full_name"] + "#") and comment["id"] == comment_id:
                if call.login not in (comment["user"]["login"], repo["owner"]["login"]):
                    return error(403, "Must have admin rights to Repository.")
                comments.remove(comment)
                return Response(status=204)
    return not_found()


def _pull(call: Call) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    number = int(call.params["number"])
    item = next((i for i in call.world.repo_issues(repo) if i["number"] == number and "pull_request" in i), None)
    return not_found() if item is None else (repo, pull_request(repo, item))


def list_pulls(call: Call) -> Response:
    repo = call.repo()
    if repo is None:
        return not_found()
    state = call.request.args.get("state", "open")
    pulls = [pull_request(repo, i) for i in call.world.repo_issues(repo) if "pull_request" in i]
    return paginated(call, [p for p in pulls if state == "all" or p["state"] == state])


def get_pull(call: Call) -> Response:
    found = _pull(call)
    return found if isinstance(found, Response) else _json(found[1])


def list_pull_files(call: Call) -> Response:
    found = _pull(call)
    return found if isinstance(found, Response) else paginated(call, pull_files(found[0]))


def list_reviews(call: Call) -> Response:
    found = _pull(call)
    return found if isinstance(found, Response) else paginated(call, reviews(found[0], found[1]["number"]))


def create_review_comment(call: Call) -> Response:
    """GitHub checks what a schema cannot: the commit is the pull request's head, the line lies in the diff."""
    found = _pull(call)
    if isinstance(found, Response):
        return found
    repo, pull = found
    body = call.body()
    changed = {f["filename"]: f["additions"] for f in pull_files(repo)}
    problems = []
    if body.get("commit_id") != pull["head"]["sha"]:
        problems.append({"resource": "PullRequestReviewComment", "code": "invalid", "field": "commit_id",
                         "message": "commit_id is not part of the pull request"})  # fmt: skip
    if body.get("path") not in changed:
        problems.append({"resource": "PullRequestReviewComment", "code": "invalid", "field": "path"})
    elif not isinstance(body.get("line"), int) or not 1 <= body["line"] <= changed[body["path"]]:
        problems.append({"resource": "PullRequestReviewComment", "code": "custom", "field": "pull_request_review_thread.line",
                         "message": "could not be resolved"})  # fmt: skip
    if problems:
        return error(422, "Validation Failed", errors=problems)
    comment_id = next(call.world.ids)
    comment = {"id": comment_id, "body": body.get("body"), "path": body["path"], "line": body["line"],
               "user": {"login": call.login}, "html_url": f"{pull['html_url']}#discussion_r{comment_id}"}  # fmt: skip
    call.world.review_comments.append(comment)
    return _json(comment, 201)


def _query(call: Call) -> tuple[list[str], dict[str, list[str]]] | Response:
    q = call.request.args.get("q", "").strip()
    if not q:
        return error(422, "Validation Failed", errors=[{"resource": "Search", "field": "q", "code": "missing"}])
    words, qualifiers = [], {}  # type: ignore[var-annotated]
    for token in q.split():
        key, sep, value = token.partition(":")
        if sep and value:
            qualifiers.setdefault(key.lower(), []).append(value.lower())
        else:
            words.append(token.lower())
    return words, qualifiers


def _repo_matches(repo: dict[str, Any], qualifiers: dict[str, list[str]]) -> bool:
    owner = repo["owner"]["login"]
    checks = {
        "user": owner,
        "org": owner,
        "repo": repo["full_name"].lower(),
        "language": str(repo["language"] or "").lower(),
        "is": "private" if repo["private"] else "public",
    }
    return all(checks.get(key, "") in values or key not in checks for key, values in qualifiers.items())


def _searchable(call: Call, qualifiers: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        r
        for r in all_repos()
        if (not r["private"] or r["owner"]["login"] == call.login) and _repo_matches(r, qualifiers)
    ]


def _search(call: Call, found: list[dict[str, Any]]) -> Response:
    return paginated(call, found, lambda page: {"total_count": len(found), "incomplete_results": False, "items": page})


def search_repos(call: Call) -> Response:
    parsed = _query(call)
    if isinstance(parsed, Response):
        return parsed
    words, qualifiers = parsed
    found = [
        r
        for r in _searchable(call, qualifiers)
        if all(w in f"{r['name']} {r['description'] or ''}".lower() for w in words)
    ]
    if call.request.args.get("sort") == "stars":
        found.sort(key=lambda r: r["stargazers_count"], reverse=True)
    return _search(call, found)


def search_code(call: Call) -> Response:
    parsed = _query(call)
    if isinstance(parsed, Response):
        return parsed
    words, qualifiers = parsed
    if not words:
        return error(422, "Validation Failed", errors=[{"resource": "Search", "field": "q", "code": "invalid",
                                                        "message": "Code search needs at least one search term"}])  # fmt: skip
    paths = qualifiers.pop("path", [])
    found = [
        {
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "repository": {"full_name": r["full_name"]},
            "html_url": f"{r['html_url']}/blob/main/{path}",
        }  # fmt: skip
        for r in _searchable(call, qualifiers)
        for path, text in files(r).items()
        if all(w in text.lower() for w in words) and (not paths or any(path.startswith(p) for p in paths))
    ]
    return _search(call, found)


def search_issues(call: Call) -> Response:
    parsed = _query(call)
    if isinstance(parsed, Response):
        return parsed
    words, qualifiers = parsed
    kinds, authors = qualifiers.pop("is", []), qualifiers.pop("author", [])
    found = []
    for repo in _searchable(call, qualifiers):
        for item in call.world.repo_issues(repo):
            flags = {item["state"], "pr" if "pull_request" in item else "issue"}
            if all(k in flags for k in kinds) and (not authors or item["user"]["login"] in authors):
                if all(w in f"{item['title']} {item['body']}".lower() for w in words):
                    found.append(item)
    return _search(call, found)


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(pattern), handler)
    for method, pattern, handler in [
        ("GET", r"user", user_profile),
        ("GET", r"user/orgs", my_orgs),
        ("GET", r"user/repos", my_repos),
        ("GET", r"users/(?P<username>[^/]+)", other_user),
        ("GET", r"users/(?P<username>[^/]+)/repos", public_repos),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)", get_repo),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/branches", list_branches),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/contents/?(?P<path>.*)", get_contents),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/commits", list_commits),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues", list_issues),
        ("POST", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues", create_issue),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>[0-9]+)", get_issue),
        ("PATCH", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>[0-9]+)", update_issue),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>[0-9]+)/comments", list_comments),
        ("POST", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>[0-9]+)/comments", create_comment),
        ("DELETE", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/comments/(?P<comment_id>[0-9]+)", delete_comment),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls", list_pulls),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>[0-9]+)", get_pull),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>[0-9]+)/files", list_pull_files),
        ("GET", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>[0-9]+)/reviews", list_reviews),
        ("POST", r"repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>[0-9]+)/comments", create_review_comment),
        ("GET", r"search/repositories", search_repos),
        ("GET", r"search/code", search_code),
        ("GET", r"search/issues", search_issues),
    ]
]


def route(request: Request, path: str, login: str, world: World) -> Response:
    for method, pattern, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match and request.method == method:
            return handler(Call(request, login, world, match))
    return not_found()
