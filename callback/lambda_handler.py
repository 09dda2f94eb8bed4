"""oauth-callback on AWS Lambda behind a function URL (issue 22): `handler` is the function's handler
(`callback.lambda_handler.handler`); the code_artifact kind's `program: callback` zips this package with
handoff/ and their dependencies.

The Starlette app (callback/app.py) runs behind mangum, an ASGI adapter that turns the function URL's
event (payload format 2.0) into one ASGI request in this process: no second process, no port and no
Lambda layer, so the sandbox runs exactly what AWS runs (README "The OAuth callback", where the choice
against the Lambda Web Adapter is explained).

Its configuration is not in its environment: the function exists before the gateway it must know (the gateway's
return URLs name the function's URL), so apply writes the configuration afterwards to SSM Parameter Store, and
the environment only *names* the parameters: OAUTH_CALLBACK_CONFIG_PARAMETER (a String holding config.json's
model as packed JSON: handoff.config.PACKED) and OAUTH_CALLBACK_SECRET_PARAMETER (a SecureString holding the
cookie/CSRF secret). Both are read at cold start in one GetParameters call; a warm environment asks for their
versions again at most every OAUTH_CALLBACK_RECHECK_SECONDS (60) and reloads when one changed, so a new gateway
or a rotated secret reaches it within a minute. Until both parameters exist every request is answered 503 and
the next one tries again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from mangum import Mangum
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from callback.app import build_app
from callback.hardening import Hardening
from callback.pages import problem_page
from callback.setup import state_from
from handoff.config import ConfigError, HandOff, _validated, hand_off_document
from handoff.logs import configure_logging
from handoff.sessions import SessionStoreError

CONFIG_VARIABLE = "OAUTH_CALLBACK_CONFIG_PARAMETER"
SECRET_VARIABLE = "OAUTH_CALLBACK_SECRET_PARAMETER"
RECHECK_VARIABLE = "OAUTH_CALLBACK_RECHECK_SECONDS"
RECHECK_SECONDS = 60.0
log = logging.getLogger("callback")


class NotConfigured(Exception):
    """A parameter is missing or unusable: the message says which and what to run."""


@dataclass(frozen=True)
class Parameters:
    config: str
    secret: str

    @classmethod
    def from_environment(cls, environ: dict[str, str] | os._Environ[str]) -> Parameters:
        missing = [name for name in (CONFIG_VARIABLE, SECRET_VARIABLE) if not environ.get(name)]
        if missing:
            raise NotConfigured(f"the function's environment does not set {', '.join(missing)}")
        return cls(config=environ[CONFIG_VARIABLE], secret=environ[SECRET_VARIABLE])


@dataclass(frozen=True)
class Loaded:
    versions: tuple[int, int]
    adapter: Mangum


LOOP = asyncio.new_event_loop()
"""The one event loop mangum runs the app on in this process (it takes asyncio's current loop). Set before every
adapter is made or called: an asyncio.run elsewhere in the process leaves no current loop, and loops mangum would
make on its own are dropped unclosed (tests run many handlers in one process; Lambda runs one)."""


def _on_the_loop() -> None:
    asyncio.set_event_loop(LOOP)


class HostedCallback:
    """The handler's state in one execution environment: the adapter for the current parameter versions."""

    def __init__(self, ssm: Any, parameters: Parameters, *, recheck: float, clock: Callable[[], float]) -> None:
        self.ssm, self.parameters, self.recheck, self.clock = ssm, parameters, recheck, clock
        self.loaded: Loaded | None = None
        self.checked = 0.0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        adapter = self.current()
        _on_the_loop()
        return (adapter or UNAVAILABLE)(event, context)

    def current(self) -> Mangum | None:
        """The adapter to answer with; None while the parameters cannot be loaded (and nothing was before)."""
        now = self.clock()
        if self.loaded is not None and now < self.checked + self.recheck:
            return self.loaded.adapter
        self.checked = now
        try:
            if self.loaded is None or self._versions() != self.loaded.versions:
                self.loaded = self._load()
        except (NotConfigured, ConfigError, SessionStoreError) as exc:
            log.error("the callback's configuration cannot be loaded: %s", exc)
        except Exception as exc:  # AWS unreachable or refusing: keep what is loaded
            log.error("reading the callback's parameters failed: %s", type(exc).__name__)
        return None if self.loaded is None else self.loaded.adapter

    def _versions(self) -> tuple[int, int]:
        names = [self.parameters.config, self.parameters.secret]
        found = {p["Name"]: p for p in self.ssm.get_parameters(Names=names, WithDecryption=False)["Parameters"]}
        return _versions_of(found, self.parameters)

    def _load(self) -> Loaded:
        names = [self.parameters.config, self.parameters.secret]
        found = {p["Name"]: p for p in self.ssm.get_parameters(Names=names, WithDecryption=True)["Parameters"]}
        versions = _versions_of(found, self.parameters)
        source = f"SSM parameter {self.parameters.config}"
        config = _config(found[self.parameters.config]["Value"], source)
        state = state_from(
            config,
            config_path=Path(f"ssm:{self.parameters.config}"),
            session_store=None,
            csrf_secret=found[self.parameters.secret]["Value"],
        )
        log.info("loaded the callback's configuration (versions %s and %s)", *versions)
        _on_the_loop()
        return Loaded(versions, Mangum(build_app(state), lifespan="off"))


def _versions_of(found: dict[str, Any], parameters: Parameters) -> tuple[int, int]:
    missing = [name for name in (parameters.config, parameters.secret) if name not in found]
    if missing:
        raise NotConfigured(f"no SSM parameter {', '.join(missing)} yet: `reconcile apply` writes it")
    if found[parameters.secret]["Type"] != "SecureString":
        raise NotConfigured(f"SSM parameter {parameters.secret} is not a SecureString: the secret is refused")
    return int(found[parameters.config]["Version"]), int(found[parameters.secret]["Version"])


def _config(text: str, source: str) -> HandOff:
    """config.json's model from the parameter, bounded and validated as the file is (handoff.config)."""
    hint = "the stack's callback configuration parameter is written by `reconcile apply`"
    config = _validated(hand_off_document(text, source, hint), source, hint=hint)
    if config.session_table is None:
        raise ConfigError(f"{source} names no session table: a hosted callback keeps its sessions in DynamoDB")
    return config


async def _unavailable(request: Request) -> Response:
    return problem_page("Not ready", "The authorization service is not configured yet; try again in a minute.", 503)


_on_the_loop()
UNAVAILABLE = Mangum(
    Starlette(
        routes=[Route("/{path:path}", _unavailable, methods=["GET", "POST"])], middleware=[Middleware(Hardening)]
    ),
    lifespan="off",
)


def _make_handler() -> HostedCallback | None:
    """At import, which is the cold start on Lambda; None when not on Lambda (tests build their own)."""
    if "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
        return None
    configure_logging(os.environ.get("OAUTH_CALLBACK_LOG_LEVEL", "info"))  # tokens redacted, libraries at WARNING
    parameters = Parameters.from_environment(os.environ)
    recheck = float(os.environ.get(RECHECK_VARIABLE, RECHECK_SECONDS))
    hosted = HostedCallback(boto3.client("ssm"), parameters, recheck=recheck, clock=time.monotonic)
    hosted.current()  # the cold start reads the parameters, not the first request's budget
    return hosted


_hosted = _make_handler()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if _hosted is None:
        raise RuntimeError(f"{__name__} runs on AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is not set)")
    return _hosted(event, context)
