"""The callback app's request handlers, routed by `callback.app.build_app`. Each reads the shared
`CallbackState` from the app (`callback_state(request)`), takes its decisions from
callback/consent.py and answers with a page from callback/pages.py.

The MCP server's one-time link, `GET /oauth/start?link=<value>`, comes first: for a CUSTOM_JWT stack
the person signs in as the session's initiator (`GET /oauth/signed-in` is the identity provider's
return), the browser gets a random cookie whose hash the store keeps with the session, and is sent on
to AgentCore's authorization URL. After GitHub consent AgentCore sends it to
`GET /oauth/callback?session_id=<session URI>`, which shows the confirmation only to that browser and
that person; its `POST /oauth/callback` completes the session. Anything else cancels the session."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from callback.consent import (
    Problem,
    SignInNeeded,
    browser_check,
    complete_once,
    confirmer_check,
    unavailable,
    well_formed,
    well_formed_value,
)
from callback.csrf import COOKIE as CSRF_COOKIE
from callback.hardening import MAX_BODY
from callback.pages import confirm_page, done_page, home_page, problem_page, problem_page_for
from callback.signin import (
    PENDING_COOKIE,
    SESSION_URI_KEY,
    USER_COOKIE,
    SignInFailed,
    signed_in_user,
    user_cookie_value,
)
from callback.state import CallbackState, callback_state
from handoff.links import CALLBACK_PATH, LINK_PARAM, START_PATH, digest, new_link_value
from handoff.sessions import SESSION_TTL_SECONDS, OAuthSession, SessionUnavailable

SESSION_URI_PARAM = "session_id"
"""The external name of the session URI: AgentCore's query parameter, and the confirmation form's field."""
FORM_FIELDS = 2
"""The confirmation form's fields (session_id, csrf_token): a form with more, or with a file, is refused."""
SIGN_IN_COOKIE_SECONDS = 600
CSRF_COOKIE_SECONDS = 900
BROWSER_COOKIE = "oauth_callback_browser"
"""The random value that marks the browser which opened a consent link; the store keeps its hash."""
NEXT_KEY = "next"
"""Where the pending sign-in cookie's signed value says to go back to after the sign-in (a path of this app)."""
log = logging.getLogger("callback")


async def home(request: Request) -> Response:
    state = callback_state(request)
    return home_page(state.config.stack, state.config.region, state.config_path)


async def healthz(request: Request) -> Response:
    config = callback_state(request).config
    return JSONResponse({"status": "ok", "config_loaded": True, "stack": config.stack, "region": config.region})


async def start(request: Request) -> Response:
    """The MCP server's one-time link: sign the initiator in, mark this browser, go on to AgentCore."""
    state = callback_state(request)
    value = request.query_params.get(LINK_PARAM, "")
    if not well_formed_value(value):
        return problem_page("Invalid authorization link", "The link is missing its value or it is malformed.", 400)
    try:
        session = await anyio.to_thread.run_sync(state.store.get_by_link, digest(value))
    except SessionUnavailable as exc:
        return problem_page_for(unavailable(exc))
    verdict = await person_check(
        request, state, session, then=f"{state.path(START_PATH)}?{urlencode({LINK_PARAM: value})}"
    )
    if verdict is not None:
        return verdict
    cookie = state.cookies.get(request, BROWSER_COOKIE)
    if not well_formed_value(cookie):
        cookie = new_link_value()
    try:
        await anyio.to_thread.run_sync(state.store.bind_browser, session.session_uri, digest(cookie))
    except SessionUnavailable as exc:
        return await refuse(state, session.session_uri, unavailable(exc))
    response = RedirectResponse(session.authorization_url, status_code=303)
    state.cookies.set(response, BROWSER_COOKIE, cookie, max_age=int(SESSION_TTL_SECONDS), samesite="lax")
    return response


async def show(request: Request) -> Response:
    """The confirmation page naming who is being linked (after a sign-in, if one is needed)."""
    state = callback_state(request)
    session_uri = request.query_params.get(SESSION_URI_PARAM, "")
    if not well_formed(session_uri):
        return problem_page("Invalid authorization link", "The link is missing its session id or it is malformed.", 400)
    session = await usable_session(request, state, session_uri, may_redirect=True)
    if isinstance(session, Response):
        return session
    token = state.csrf.issue(session_uri)
    response = confirm_page(session.display_name, session_uri, token, action=state.path(CALLBACK_PATH))
    state.cookies.set(response, CSRF_COOKIE, token, max_age=CSRF_COOKIE_SECONDS, samesite="strict")
    return response


async def complete(request: Request) -> Response:
    """The confirmation: CSRF-checked, then CompleteResourceTokenAuth for the session's initiator."""
    state = callback_state(request)
    async with request.form(max_files=0, max_fields=FORM_FIELDS, max_part_size=MAX_BODY) as form:
        session_uri, token = str(form.get(SESSION_URI_PARAM, "")), str(form.get("csrf_token", ""))
    if not well_formed(session_uri):
        return problem_page("Invalid authorization link", "The form did not carry a valid session id.", 400)
    if not state.csrf.valid(token, state.cookies.get(request, CSRF_COOKIE), session_uri):
        return problem_page("Request refused", "This confirmation did not come from the page this server showed.", 403)
    checked = await usable_session(request, state, session_uri, may_redirect=False)
    if isinstance(checked, Response):
        return checked
    outcome = await anyio.to_thread.run_sync(complete_once, state.store, state.identity_client, session_uri)
    if isinstance(outcome, Problem):
        return await refuse(state, session_uri, outcome)
    response = done_page(outcome.display_name)
    state.cookies.delete(response, CSRF_COOKIE)
    return response


async def signed_in(request: Request) -> Response:
    """The identity provider's answer: remember who signed in, for which session, and go back to it."""
    state = callback_state(request)
    pending = state.signer.loads(state.cookies.get(request, PENDING_COOKIE), purpose=PENDING_COOKIE)
    if (
        pending is None
        or not pending.get("state")
        or request.query_params.get("state") != pending.get("state")
        or state.signin is None
        or state.return_uri is None
    ):
        return problem_page(
            "Sign-in not recognised", "This sign-in answer does not match a sign-in this page started.", 400
        )
    if "code" not in request.query_params:
        return problem_page("Sign-in refused", "The identity provider did not sign you in.", 403)
    try:
        user = await state.signin.finish(
            code=request.query_params["code"], pending=pending, redirect_uri=state.return_uri
        )
    except SignInFailed as exc:
        return problem_page("Sign-in failed", str(exc), 403)
    session_uri = pending[SESSION_URI_KEY]
    then = pending.get(NEXT_KEY) or f"{state.path(CALLBACK_PATH)}?{urlencode({SESSION_URI_PARAM: session_uri})}"
    response = RedirectResponse(str(then), status_code=303)
    set_signed_cookie(response, state, USER_COOKIE, user_cookie_value(session_uri, user))
    state.cookies.delete(response, PENDING_COOKIE)
    return response


async def usable_session(
    request: Request, state: CallbackState, session_uri: str, *, may_redirect: bool
) -> OAuthSession | Response:
    """The stored session if it may be confirmed from this browser, else the page (or sign-in redirect) to send."""
    try:
        session = await anyio.to_thread.run_sync(state.store.get, session_uri)
    except SessionUnavailable as exc:
        # Cancel whatever this landing finds: a session consumed by a completion still in flight (so that a
        # throttled completion cannot be retried after a foreign landing), or one not recorded yet (so that
        # recording it later cannot start it afresh). The initiator's own browser never lands on those.
        await anyio.to_thread.run_sync(state.store.burn, session_uri)
        return problem_page_for(unavailable(exc))
    problem = browser_check(session, state.cookies.get(request, BROWSER_COOKIE))
    if problem is not None:
        return await refuse(state, session_uri, problem)
    then = f"{state.path(CALLBACK_PATH)}?{urlencode({SESSION_URI_PARAM: session_uri})}" if may_redirect else None
    verdict = await person_check(request, state, session, then=then)
    return session if verdict is None else verdict


async def person_check(
    request: Request, state: CallbackState, session: OAuthSession, *, then: str | None
) -> Response | None:
    """None when the person at this browser may act on `session`; else the sign-in redirect (back to `then`),
    or the refusal page. Without `then` (a POST) a missing sign-in is refused."""
    user = signed_in_user(
        state.signer.loads(state.cookies.get(request, USER_COOKIE), purpose=USER_COOKIE), session.session_uri
    )
    verdict = confirmer_check(
        session, sign_in_enabled=state.signin is not None, signed_in=user, may_redirect=then is not None
    )
    if verdict is None:
        return None
    if isinstance(verdict, SignInNeeded):
        assert then is not None, "confirmer_check asks for a sign-in only when it may redirect"
        return await start_sign_in(state, session.session_uri, then)
    return await refuse(state, session.session_uri, verdict)


async def refuse(state: CallbackState, session_uri: str, problem: Problem) -> Response:
    """The page for `problem`, after cancelling the session when the problem says it must be."""
    if problem.burns:
        await anyio.to_thread.run_sync(state.store.burn, session_uri)
        log.warning("authorization session cancelled: %s", problem.title)
    return problem_page_for(problem)


async def start_sign_in(state: CallbackState, session_uri: str, then: str) -> Response:
    """Send the browser to the identity provider, keeping the pending sign-in (and `then`, the path to come
    back to) in a signed cookie.

    No login_hint: whoever opens a forwarded link would see (and the provider's page would show) the
    initiator's subject. The initiator is checked when the person comes back."""
    assert state.signin is not None, "consent asks for a sign-in only when sign-in is enabled"
    assert state.return_uri is not None, "make_state refuses sign-in without a configured callback URL"
    try:
        url, pending = await state.signin.start(session_uri=session_uri, redirect_uri=state.return_uri)
    except SignInFailed as exc:
        return problem_page("Sign-in unavailable", str(exc), 503)
    response = RedirectResponse(url, status_code=302)
    set_signed_cookie(response, state, PENDING_COOKIE, {**pending, NEXT_KEY: then})
    return response


def set_signed_cookie(response: Response, state: CallbackState, name: str, value: dict[str, Any]) -> None:
    """Sign-in cookies are Lax (they must survive the identity provider's redirect back), HttpOnly, short-lived;
    their expiry is also inside the signed value."""
    signed = state.signer.dumps(value, purpose=name, max_age=SIGN_IN_COOKIE_SECONDS)
    state.cookies.set(response, name, signed, max_age=SIGN_IN_COOKIE_SECONDS, samesite="lax")


async def bad_request(request: Request, exc: Exception) -> Response:
    """The form parser's refusals (too many fields, a file, a part too large)."""
    return problem_page("Request refused", "This is not the form this server sent.", 400)


async def not_found(request: Request, exc: Exception) -> Response:
    return problem_page("Not found", "There is nothing at this address.", 404)


async def not_allowed(request: Request, exc: Exception) -> Response:
    return problem_page("Method not allowed", "This address does not accept that request.", 405)


async def crashed(request: Request, exc: Exception) -> Response:
    log.error("unexpected error: %s", type(exc).__name__)
    return problem_page("Something went wrong", "The callback server hit an unexpected error.", 500)
