"""GitHub's refusals, as tool errors that say what to do. The gateway relays an upstream error as a result
with `isError` and GitHub's JSON body as its text (AWS_FACTS: UNCONFIRMED; no status line or headers are
relayed, so the reading rests on the body: GitHub's error bodies carry `message`, `status` and, for 422,
`errors` - docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api)."""

from __future__ import annotations

from typing import Any

RATE_LIMIT_WORDS = ("rate limit", "abuse detection")


def github_error_text(body: Any, raw: str) -> str:
    """The message for people, from GitHub's parsed error body (or its raw text when it was not JSON)."""
    if not isinstance(body, dict):
        return f"GitHub refused the request: {raw.strip()[:300] or 'no details'}"
    message = str(body.get("message") or "no details")
    status = str(body.get("status") or "")
    if status == "404" or message == "Not Found":
        return (
            "GitHub answered 404 Not Found: it does not exist, or your GitHub account cannot see it (a private "
            "repository you have no access to answers the same). Check the owner, repository, number or path."
        )
    if any(word in message.lower() for word in RATE_LIMIT_WORDS):
        return (
            f"GitHub's rate limit for your account is used up ({message}). Try again later: the hourly limit resets "
            "within the hour, a secondary limit after a few minutes; fewer or smaller requests (per_page) help."
        )
    if status == "422" or message == "Validation Failed":
        return f"GitHub could not accept the request ({message}): {_fields(body.get('errors'))}. Fix it and retry."
    if status == "401" or message == "Bad credentials":
        return (
            "GitHub rejected the token the gateway holds for you (Bad credentials): it was revoked or expired. "
            "Authorize again: call a tool, open the link it gives, approve."
        )
    if status == "403":
        return (
            f"GitHub refused: {message}. Your GitHub account (or the scopes you approved) does not allow this; "
            "an owner of the repository or organization can grant it."
        )
    return f"GitHub refused the request: {message}"


def _fields(errors: Any) -> str:
    """GitHub's `errors` list: [{resource, field, code, message?}] -> 'title: missing_field; ...'."""
    if not isinstance(errors, list) or not errors:
        return "no field named"
    parts = []
    for error in errors[:5]:
        if isinstance(error, dict):
            where = error.get("field") or error.get("resource") or "request"
            parts.append(f"{where}: {error.get('message') or error.get('code') or 'invalid'}")
        else:
            parts.append(str(error))
    return "; ".join(parts)
