"""The GitHub stand-in's world: three users (alice, bob, carol), their organizations, repositories, branches,
files, commits, issues, comments, pull requests and reviews - built the same way on every start, so tests can
name what they expect. Writes (issues, comments) live in `World` until the sandbox forgets its users."""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ["Python", "Go", "TypeScript", "Rust", None]
WEB = "https://github.com"
API = "https://api.github.com"

USERS: dict[str, dict[str, Any]] = {
    "alice": {
        "login": "alice",
        "name": "Alice Liddell",
        "bio": "Down the rabbit hole",
        "followers": 42,
        "following": 7,
        "repos": 35,
        "orgs": ["wonderland"],
    },
    "bob": {
        "login": "bob",
        "name": "Bob Builder",
        "bio": None,
        "followers": 3,
        "following": 11,
        "repos": 4,
        "orgs": ["builders", "wonderland"],
    },
    "carol": {
        "login": "carol",
        "name": "Carol Danvers",
        "bio": "Higher, further, faster",
        "followers": 900,
        "following": 1,
        "repos": 0,
        "orgs": [],
    },
}
ORGS = {
    "wonderland": "Tea parties and croquet",
    "builders": "Can we fix it? Yes we can",
}


def fixture_repos(login: str, count: int) -> list[dict[str, Any]]:
    return [_repo(login, i) for i in range(1, count + 1)]


def _repo(login: str, i: int) -> dict[str, Any]:
    name = f"{login}-project-{i:02d}"
    return {
        "id": _id(login, name),
        "name": name,
        "full_name": f"{login}/{name}",
        "owner": {"login": login, "type": "User"},
        "private": i % 3 == 0,
        "description": f"Project {i} of {login}" if i % 4 else None,
        "html_url": f"{WEB}/{login}/{name}",
        "url": f"{API}/repos/{login}/{name}",
        "stargazers_count": (i * 7) % 23,
        "forks_count": i % 5,
        "language": LANGUAGES[i % len(LANGUAGES)],
        "default_branch": "main",
        "updated_at": f"2026-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}T12:00:00Z",
        "created_at": f"2025-{(i % 12) + 1:02d}-01T09:00:00Z",
        "pushed_at": f"2026-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}T12:30:00Z",
        "open_issues_count": 0,
    }


def _id(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:4], "big")


def sha(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()


def files(repo: dict[str, Any]) -> dict[str, str]:
    """path -> text: a README and a small program in the repository's language."""
    name, login = repo["name"], repo["owner"]["login"]
    return {
        "README.md": f"# {name}\n\n{repo['description'] or 'No description.'}\n\nMaintained by @{login}.\n",
        "src/main.py": f'"""{name}: entry point."""\n\n\ndef main() -> None:\n    print("hello from {name}")\n',
        "LICENSE": "MIT License\n",
    }


def content_entry(repo: dict[str, Any], path: str, text: str | None) -> dict[str, Any]:
    """The contents API's object for a file (`text` given) or a directory entry."""
    url = f"{WEB}/{repo['full_name']}/blob/main/{path}"
    entry = {"name": path.rsplit("/", 1)[-1], "path": path, "sha": sha(repo["full_name"], path), "html_url": url}
    if text is None:
        return {**entry, "type": "dir", "size": 0}
    encoded = base64.b64encode(text.encode()).decode()
    return {**entry, "type": "file", "size": len(text.encode()), "encoding": "base64", "content": encoded}


def commits(repo: dict[str, Any]) -> list[dict[str, Any]]:
    login = repo["owner"]["login"]
    name = USERS.get(login, {}).get("name") or login
    messages = ["Add src/main.py", "Write the README", "Initial commit"]
    return [
        {
            "sha": sha(repo["full_name"], "commit", str(n)),
            "commit": {
                "message": message,
                "author": {"name": name, "date": f"2026-01-{10 - n:02d}T10:00:00Z"},
            },
            "author": {"login": login},
            "html_url": f"{WEB}/{repo['full_name']}/commit/{sha(repo['full_name'], 'commit', str(n))}",
            "files": ["src/main.py"] if n == 0 else ["README.md"] if n == 1 else ["LICENSE"],
        }
        for n, message in enumerate(messages)
    ]


def branches(repo: dict[str, Any]) -> list[dict[str, Any]]:
    head = commits(repo)[0]["sha"]
    names = ["main", "feature/tea-party"] if repo["stargazers_count"] % 2 else ["main"]
    return [{"name": n, "commit": {"sha": head if n == "main" else sha(repo["full_name"], n)}} for n in names]


@dataclass
class World:
    """What changes: issues, comments and review comments, numbered as GitHub numbers them (issues and pull
    requests share one sequence per repository)."""

    issues: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """`owner/repo#number` -> comments."""
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9000))

    def repo_issues(self, repo: dict[str, Any]) -> list[dict[str, Any]]:
        """The repository's issues and pull requests (pull requests carry `pull_request`), seeded on first use."""
        key = repo["full_name"]
        if key not in self.issues:
            self.issues[key] = _seed_issues(repo)
        return self.issues[key]

    def issue_comments(self, repo: dict[str, Any], number: int) -> list[dict[str, Any]]:
        key = f"{repo['full_name']}#{number}"
        if key not in self.comments:
            self.comments[key] = _seed_comments(repo, number)
        return self.comments[key]


def _seed_issues(repo: dict[str, Any]) -> list[dict[str, Any]]:
    login, full = repo["owner"]["login"], repo["full_name"]
    seed = repo["stargazers_count"]
    titles = ["Crash when the README is empty", "Support Python 3.13", "Document the CLI", "Typo in LICENSE"]
    found = [
        issue(repo, n + 1, title, login if n % 2 == 0 else "bob", "closed" if n == 3 else "open", body=f"{title}.")
        for n, title in enumerate(titles[: seed % 5])
    ]
    if seed % 2:
        number = len(found) + 1
        pull = issue(repo, number, "Add a tea-party mode", "bob", "open", body="Adds `--tea-party`.")
        pull["pull_request"] = {"url": f"{API}/repos/{full}/pulls/{number}"}
        found.append(pull)
    return found


def issue(repo: dict[str, Any], number: int, title: str, author: str, state: str, *, body: str) -> dict[str, Any]:
    full = repo["full_name"]
    return {
        "id": _id(full, "issue", str(number)),
        "number": number,
        "title": title,
        "body": body,
        "state": state,
        "user": {"login": author},
        "labels": [{"name": "bug"}] if "Crash" in title else [],
        "comments": 0,
        "html_url": f"{WEB}/{full}/issues/{number}",
        "repository_url": f"{API}/repos/{full}",
        "created_at": f"2026-02-{number:02d}T08:00:00Z",
    }


def _seed_comments(repo: dict[str, Any], number: int) -> list[dict[str, Any]]:
    full = repo["full_name"]
    return [
        {
            "id": _id(full, "comment", str(number)),
            "body": "Thanks, I can reproduce this.",
            "user": {"login": repo["owner"]["login"]},
            "created_at": f"2026-02-{number:02d}T09:00:00Z",
            "html_url": f"{WEB}/{full}/issues/{number}#issuecomment-{_id(full, 'comment', str(number))}",
        }
    ]


def pull_request(repo: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """The pulls API's view of an issue that is a pull request."""
    head = sha(repo["full_name"], "feature/tea-party")
    return {
        **{k: item[k] for k in ("id", "number", "title", "body", "state", "user", "created_at")},
        "html_url": f"{WEB}/{repo['full_name']}/pull/{item['number']}",
        "head": {"ref": "feature/tea-party", "sha": head},
        "base": {"ref": "main", "sha": commits(repo)[0]["sha"]},
        "changed_files": 2,
        "additions": 14,
        "deletions": 3,
    }


def pull_files(repo: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"filename": "src/main.py", "status": "modified", "additions": 12, "deletions": 3, "changes": 15},
        {"filename": "README.md", "status": "modified", "additions": 2, "deletions": 0, "changes": 2},
    ]


def reviews(repo: dict[str, Any], number: int) -> list[dict[str, Any]]:
    owner = repo["owner"]["login"]
    return [
        {"id": _id(repo["full_name"], "review", str(number)), "user": {"login": owner}, "state": "CHANGES_REQUESTED",
         "body": "Please add a test for --tea-party."},
    ]  # fmt: skip
