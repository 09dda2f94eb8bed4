"""The OAuth callback app (DESIGN §5): after GitHub consent, AgentCore Identity sends the browser
here with `?session_id=<request_uri>`. For a CUSTOM_JWT stack the person must first sign in with the
same identity provider as the user who started the session (callback/signin.py); GET then shows who
is being linked, and only the POST (CSRF-checked) calls `CompleteResourceTokenAuth`, once."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
from botocore.exceptions import BotoCoreError, ClientError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callback.csrf import COOKIE, Csrf
from callback.pages import confirm_page, done_page, page, problem_page
from callback.signin import (
    PENDING_COOKIE,
    RETURN_PATH,
    USER_COOKIE,
    OidcSignIn,
    Signer,
    SignInFailed,
    identity_of_token,
)
from handoff.config import HandOff
from handoff.sessions import OAuthSession, SessionStore, SessionUnavailable

SESSION_ID = re.compile(r"urn:ietf:params:oauth:request_uri:[a-zA-Z0-9\-._~]{1,900}")
MAX_BODY = 8 * 1024
MAX_QUERY = 2 * 1024
RETRYABLE = frozenset({"ThrottlingException", "ServiceUnavailableException", "InternalServerException"})
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
UNAVAILABLE = {
    "unknown": (
        "Unknown authorization session",
        404,
        "This link does not belong to an authorization this server started.",
    ),
    "expired": (
        "Authorization link expired",
        410,
        "This authorization link has expired (they last about ten minutes).",
    ),
    "used": ("Authorization link already used", 409, "This authorization link has already been used."),
}
log = logging.getLogger("callback")


@dataclass
class CallbackState:
    config: HandOff
    config_path: Path
    store: SessionStore
    identity_client: Any
    """A boto3 `bedrock-agentcore` client."""
    csrf: Csrf
    signin: OidcSignIn | None = None
    """Set for CUSTOM_JWT stacks: the person confirming must sign in as the session's initiator."""

    @property
    def signer(self) -> Signer:
        return Signer(self.csrf.key)


def build_app(state: CallbackState) -> Starlette:
    async def home(request: Request) -> Response:
        body = (
            "<p>This server completes GitHub authorizations for the AgentCore GitHub MCP stack: after you approve "
            "access on GitHub, your browser comes back here to link it to the account that asked.</p>"
            f"<p>Stack <code>{escape(state.config.stack)}</code> in <code>{escape(state.config.region)}</code>; "
            f"configuration <code>{escape(str(state.config_path))}</code> loaded. Status: <strong id='status'>ok</strong>.</p>"
        )
        return page("OAuth callback", body)

    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "config_loaded": True, "stack": state.config.stack, "region": state.config.region}
        )

    def return_uri(request: Request) -> str:
        return str(request.base_url).rstrip("/") + RETURN_PATH

    async def check_browser_user(request: Request, session: OAuthSession, *, may_redirect: bool) -> Response | None:
        """None when the person at the browser may confirm this session; otherwise the answer to send."""
        if session.identifier_kind != "userToken" or state.signin is None:
            return None
        initiator = identity_of_token(session.identifier)
        if initiator is None:
            return problem_page("Cannot verify this authorization", "The session does not say who started it.", 403)
        cookie = state.signer.loads(request.cookies.get(USER_COOKIE, ""))
        if cookie is None or cookie.get("session_id") != session.session_uri:
            if not may_redirect:
                return problem_page(
                    "Sign-in required", "Sign in as the user who started this authorization first.", 403
                )
            try:
                url, pending = await state.signin.start(
                    session_id=session.session_uri, redirect_uri=return_uri(request), login_hint=initiator.subject
                )
            except SignInFailed as exc:
                return problem_page("Sign-in unavailable", str(exc), 503)
            response = RedirectResponse(url, status_code=302)
            set_signed_cookie(response, request, PENDING_COOKIE, state.signer.dumps(pending))
            return response
        if (cookie.get("iss"), cookie.get("sub")) != (initiator.issuer, initiator.subject):
            return problem_page(
                "This link belongs to someone else",
                f"You signed in as {cookie.get('name')}, but this authorization was started by {initiator.name}. "
                "Nothing was linked. If you want GitHub access for yourself, run the tool yourself.",
                403,
            )
        return None

    async def usable_session(request: Request, session_id: str, *, may_redirect: bool) -> OAuthSession | Response:
        """The stored session if it may be confirmed from this browser, else the page (or sign-in redirect) to send."""
        try:
            session = await anyio.to_thread.run_sync(state.store.get, session_id)
        except SessionUnavailable as exc:
            return _unavailable(exc)
        answer = await check_browser_user(request, session, may_redirect=may_redirect)
        return session if answer is None else answer

    async def signed_in(request: Request) -> Response:
        pending = state.signer.loads(request.cookies.get(PENDING_COOKIE, ""))
        if pending is None or request.query_params.get("state") != pending.get("state") or state.signin is None:
            return problem_page(
                "Sign-in not recognised", "This sign-in answer does not match a sign-in this page started.", 400
            )
        if "code" not in request.query_params:
            return problem_page("Sign-in refused", "The identity provider did not sign you in.", 403)
        try:
            user = await state.signin.finish(
                code=request.query_params["code"], pending=pending, redirect_uri=return_uri(request)
            )
        except SignInFailed as exc:
            return problem_page("Sign-in failed", str(exc), 403)
        response = RedirectResponse(
            f"/oauth/callback?{urlencode({'session_id': pending['session_id']})}", status_code=303
        )
        value = {"session_id": pending["session_id"], "iss": user.issuer, "sub": user.subject, "name": user.name}
        set_signed_cookie(response, request, USER_COOKIE, state.signer.dumps(value))
        response.delete_cookie(PENDING_COOKIE, path="/oauth")
        return response

    async def show(request: Request) -> Response:
        session_id = request.query_params.get("session_id", "")
        if not SESSION_ID.fullmatch(session_id):
            return problem_page(
                "Invalid authorization link", "The link is missing its session id or it is malformed.", 400
            )
        session = await usable_session(request, session_id, may_redirect=True)
        if isinstance(session, Response):
            return session
        token = state.csrf.issue(session_id)
        response = confirm_page(session.display_name, session_id, token)
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="strict",
            path="/oauth/callback",
            max_age=900,
            secure=request.url.scheme == "https",
        )
        return response

    async def complete(request: Request) -> Response:
        form = await request.form()
        session_id, token = str(form.get("session_id", "")), str(form.get("csrf_token", ""))
        if not SESSION_ID.fullmatch(session_id):
            return problem_page("Invalid authorization link", "The form did not carry a valid session id.", 400)
        if not state.csrf.valid(token, request.cookies.get(COOKIE, ""), session_id):
            return problem_page(
                "Request refused", "This confirmation did not come from the page this server showed.", 403
            )
        checked = await usable_session(request, session_id, may_redirect=False)
        if isinstance(checked, Response):
            return checked
        try:
            session = await anyio.to_thread.run_sync(state.store.consume, session_id)
        except SessionUnavailable as exc:
            return _unavailable(exc)
        identifier = {session.identifier_kind: session.identifier}
        try:
            await anyio.to_thread.run_sync(
                lambda: state.identity_client.complete_resource_token_auth(
                    sessionUri=session_id, userIdentifier=identifier
                )
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            log.warning("CompleteResourceTokenAuth failed with %s", code)
            if code in RETRYABLE:
                await anyio.to_thread.run_sync(state.store.release, session_id)
                return problem_page(
                    "Try again in a moment", "AWS is busy right now; reload this page and press the button again.", 503
                )
            if code == "AccessDeniedException":
                return problem_page(
                    "Authorization not accepted",
                    "AWS refused to link this authorization: the session is "
                    "invalid or expired, or it was started by someone else.",
                    403,
                )
            return problem_page("Authorization failed", f"AWS answered {code}.", 502)
        except BotoCoreError as exc:
            await anyio.to_thread.run_sync(state.store.release, session_id)
            log.warning("CompleteResourceTokenAuth could not be sent: %s", type(exc).__name__)
            return problem_page(
                "Try again in a moment", "AWS could not be reached; reload this page and try again.", 503
            )
        response = done_page(session.display_name)
        response.delete_cookie(COOKIE, path="/oauth/callback")
        return response

    async def not_found(request: Request, exc: Exception) -> Response:
        return problem_page("Not found", "There is nothing at this address.", 404)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return problem_page("Method not allowed", "This address does not accept that request.", 405)

    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("unexpected error: %s", type(exc).__name__)
        return problem_page("Something went wrong", "The callback server hit an unexpected error.", 500)

    return Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/oauth/callback", show, methods=["GET"]),
            Route("/oauth/callback", complete, methods=["POST"]),
            Route(RETURN_PATH, signed_in, methods=["GET"]),
        ],
        middleware=[Middleware(Hardening)],
        exception_handlers={404: not_found, 405: not_allowed, 500: crashed},
    )


def set_signed_cookie(response: Response, request: Request, name: str, value: str) -> None:
    """Sign-in cookies are Lax (they must survive the identity provider's redirect back), HttpOnly, short-lived."""
    response.set_cookie(
        name, value, httponly=True, samesite="lax", path="/oauth", max_age=600, secure=request.url.scheme == "https"
    )


def _unavailable(exc: SessionUnavailable) -> Response:
    title, status, message = UNAVAILABLE[exc.reason]
    return problem_page(title, message, status)


class Hardening:
    """Strict headers on every response; oversized query strings and bodies refused before routing."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.decode().lower() not in SECURITY_HEADERS
                ]
                message["headers"] += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        length = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if len(scope.get("query_string", b"")) > MAX_QUERY or (length.isdigit() and int(length) > MAX_BODY):
            await problem_page("Request too large", "The request is larger than this server accepts.", 413)(
                scope, receive, with_headers
            )
            return
        await self.app(scope, receive, with_headers)
