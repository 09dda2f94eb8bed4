"""The OAuth callback app (DESIGN §5), built by `build_app` for `callback.__main__` (uvicorn) and the
tests. After GitHub consent, AgentCore Identity sends the browser here with the session URI as
`?session_id=`; for a CUSTOM_JWT stack the person must first sign in with the same identity provider
as the user who started the session (callback/signin.py); GET then shows who is being linked, and
only the POST (CSRF-checked) calls `CompleteResourceTokenAuth`, once (callback/consent.py).

This module only assembles: handlers are in callback/routes.py, the outer layer in callback/hardening.py."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from callback import routes
from callback.hardening import Hardening
from callback.state import CallbackState
from handoff.links import CALLBACK_PATH, RETURN_PATH, START_PATH


def build_app(state: CallbackState) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", routes.home, methods=["GET"]),
            Route("/healthz", routes.healthz, methods=["GET"]),
            Route(START_PATH, routes.start, methods=["GET"]),
            Route(CALLBACK_PATH, routes.show, methods=["GET"]),
            Route(CALLBACK_PATH, routes.complete, methods=["POST"]),
            Route(RETURN_PATH, routes.signed_in, methods=["GET"]),
        ],
        middleware=[Middleware(Hardening)],
        exception_handlers={
            400: routes.bad_request,
            404: routes.not_found,
            405: routes.not_allowed,
            500: routes.crashed,
        },
    )
    app.state.callback = state
    return app
