"""The callback's HTML pages, built for the handlers in callback/routes.py (and the size limit in
callback/hardening.py). Every dynamic value goes through `html.escape`; no scripts."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from callback.consent import Problem

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1f2328}"
    "h1{font-size:1.4rem}button{font-size:1rem;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #1f883d;"
    "background:#1f883d;color:#fff;cursor:pointer}.muted{color:#59636e}code{background:#f6f8fa;padding:.1rem .3rem}"
)


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """`body` is trusted markup built here; callers escape every value they put in it."""
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status)


def home_page(stack: str, region: str, config_path: Path) -> HTMLResponse:
    body = (
        "<p>This server completes GitHub authorizations for the AgentCore GitHub MCP stack: after you approve "
        "access on GitHub, your browser comes back here to link it to the account that asked.</p>"
        f"<p>Stack <code>{escape(stack)}</code> in <code>{escape(region)}</code>; "
        f"configuration <code>{escape(str(config_path))}</code> loaded. Status: <strong id='status'>ok</strong>.</p>"
    )
    return page("OAuth callback", body)


def confirm_page(display_name: str, session_uri: str, csrf: str, *, action: str) -> HTMLResponse:
    """The form posts the session URI back as `session_id`, the name AgentCore gives it in the query."""
    body = (
        f"<p>You are about to let the MCP server's gateway use <strong>your GitHub account</strong> on behalf of "
        f"<strong id='who'>{escape(display_name)}</strong>.</p>"
        "<p>Only continue if that is you and you just asked a tool to reach GitHub.</p>"
        f"<form method='post' action='{escape(action, quote=True)}'>"
        f"<input type='hidden' name='session_id' value='{escape(session_uri, quote=True)}'>"
        f"<input type='hidden' name='csrf_token' value='{escape(csrf, quote=True)}'>"
        "<button type='submit' id='confirm'>Link my GitHub account</button></form>"
        "<p class='muted'>If you did not start this, close this page: nothing happens until you press the button.</p>"
    )
    return page("Confirm GitHub access", body)


def done_page(display_name: str) -> HTMLResponse:
    body = (
        f"<p id='done'>GitHub is now linked for <strong>{escape(display_name)}</strong>.</p>"
        "<p>Return to your MCP client and run the tool again.</p>"
    )
    return page("Authorization complete", body)


def problem_page(title: str, message: str, status: int) -> HTMLResponse:
    body = f"<p id='problem'>{escape(message)}</p><p>Go back to your MCP client and run the tool again to get a fresh link.</p>"
    return page(title, body, status)


def problem_page_for(problem: Problem) -> HTMLResponse:
    return problem_page(problem.title, problem.message, problem.status)
