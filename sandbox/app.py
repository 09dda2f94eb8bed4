"""The sandbox's single WSGI entry: our own routes first, everything else to moto.

    /identities/<Operation>            Identity control plane + CompleteResourceTokenAuth (POST)
    /identities/oauth2/authorize       3LO: start consent (GET, browser)
    /identities/oauth2/callback/<id>   3LO: GitHub's redirect back (GET, browser)
    /tags/<identity or provider ARN>   tags of the above
    /gateway-mcp/<region>/<id>/mcp     each gateway's MCP endpoint (its gatewayUrl)
    /runtimes/...                      AgentCore Runtime control plane (sandbox.runtime_control)
    /runtimes/<ARN>/invocations        InvokeAgentRuntime, answered by the deployed zip (sandbox.runtime_invoke)
    /runtimes/<ARN>/invocations/.well-known/oauth-protected-resource   RFC 9728 metadata of a JWT runtime
    /oidc/...                          test identity provider and OAuth 2.1 authorization server (sandbox.oidc)
    /.well-known/{oauth-authorization-server,openid-configuration}/oidc   its metadata (RFC 8414 section 3.1)
    /github/...                        GitHub stand-in (OAuth pages and API)
    Host: <id>.lambda-url.<region>.on.aws   Lambda function URLs, answered by the uploaded zip (sandbox.lambda_urls)
    everything else                    moto (IAM, S3, DynamoDB, SSM, Lambda, AgentCore gateways and targets)

Only loopback clients are served.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from functools import cache
from typing import Any
from urllib.parse import unquote

from moto import backends as moto_backends
from moto.core import utils as moto_utils
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

from sandbox import gateway_identity
from sandbox.errors import AwsError
from sandbox.gateway_mcp import GatewayDataPlane
from sandbox.github import GitHubStandIn
from sandbox.identity_control import IdentityControl
from sandbox.identity_flow import IdentityFlow
from sandbox.lambda_rules import install as install_lambda_rules
from sandbox.lambda_urls import HOST as FUNCTION_URL_HOST
from sandbox.lambda_urls import FunctionUrls
from sandbox.oidc import OidcIssuer
from sandbox.runtime_code import DeployedCode
from sandbox.runtime_control import RuntimeControl
from sandbox.runtime_invoke import INVOCATIONS, PROTECTED_RESOURCE, RuntimeDataPlane
from sandbox.sigv4 import access_key_id
from sandbox.ssm_rules import install as install_ssm_rules

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
GATEWAY_MCP = re.compile(r"/gateway-mcp/([a-z0-9-]+)/([0-9a-z-]+)/mcp")
DEFAULT_REGION = "us-east-1"
OUR_PREFIXES = ("/oidc/", "/github/", "/gateway-mcp/", "/__sandbox/")
OIDC_METADATA = frozenset(
    {
        "/oidc/.well-known/openid-configuration",
        "/oidc/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/oidc",
        "/.well-known/openid-configuration/oidc",
    }
)
ROUTES = [
    "POST /identities/<Operation>",
    "GET /identities/oauth2/authorize?request_uri=...",
    "GET /identities/oauth2/callback/<id>",
    "POST /gateway-mcp/<region>/<gateway id>/mcp",
    "PUT|POST|GET|DELETE /runtimes/... (AgentCore Runtime control plane)",
    "POST /runtimes/<url-encoded runtime ARN>/invocations?qualifier=DEFAULT",
    "GET /runtimes/<url-encoded runtime ARN>/invocations/.well-known/oauth-protected-resource?qualifier=DEFAULT",
    "GET /oidc/.well-known/openid-configuration (also /oidc/.well-known/oauth-authorization-server)",
    "GET /.well-known/oauth-authorization-server/oidc (also /.well-known/openid-configuration/oidc)",
    "GET /oidc/jwks",
    "POST /oidc/token (form: grant_type=authorization_code|refresh_token; JSON {user, client_id}: a test token)",
    "GET|POST /oidc/authorize",
    "POST /oidc/register (RFC 7591)",
    "POST /oidc/__revoke (sandbox-only: JSON {user, client_id?} ends the user's refresh tokens)",
    "GET|POST /github/login/oauth/authorize",
    "POST /github/login/oauth/access_token",
    "GET /github/api/user",
    "GET /github/api/user/repos",
    "GET /__sandbox/health",
]


_MOTO_MODULES = tuple(moto_backends.list_of_moto_modules())


def _moto_modules() -> tuple[str, ...]:
    return _MOTO_MODULES


# moto's dispatcher lists its package folder (os.listdir + a stat per entry, ~160) on every request, under
# the lock that serializes its dispatch: ~20 ms a request, 1.2 s of a 2.8 s apply of the shipped stack. The
# folder does not change while the process runs, so the list is read once (speed only; no answer changes).
moto_backends.list_of_moto_modules = _moto_modules
# Likewise, for every request moto loads the service's JSON model from disk again (a new botocore loader each
# time) and, for an error, lists botocore's services in a new Session: both are the same for the whole process.
moto_utils._load_service_model = cache(moto_utils._load_service_model)
moto_utils.service_name_from_moto_package_name = cache(moto_utils.service_name_from_moto_package_name)


_DYNAMODB_WRITES = threading.Lock()
"""DynamoDB applies each conditional write atomically ("the write succeeds only if the condition evaluates to
true", devguide "Condition expressions"; conditional writes are how two writers race safely, "Conditional
writes", devguide), but moto checks the condition and writes the item without a lock, and the sandbox serves
requests on threads: two racing conditional UpdateItems could both succeed (seen:
tests/handoff/test_red_team_stores.py, two browsers binding one session, once moto's dispatch got faster).
So the sandbox answers DynamoDB requests one at a time, the stricter reading of what AWS guarantees."""


def _backend_by_host(dispatcher: DomainDispatcherApplication) -> None:
    """moto's dispatcher matches a request's inferred host against every service's URL patterns (~190
    regexes), under its lock, on every request; the answer depends on the host alone, so it is kept per host."""
    found: dict[str | None, Any] = {}
    original = dispatcher.get_backend_for_host

    def get_backend_for_host(host: str | None) -> Any:
        if host not in found:
            found[host] = original(host)
        return found[host]

    dispatcher.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


class SandboxApp:
    def __init__(self, credentials: dict[str, str], *, latency: float = 0.0) -> None:
        self.credentials, self.latency = credentials, latency
        dispatcher = DomainDispatcherApplication(create_backend_app)
        _backend_by_host(dispatcher)
        self.moto: WSGIApp = dispatcher
        self.oidc = OidcIssuer()
        self.code: DeployedCode | None = None
        self.runtime_data: RuntimeDataPlane | None = None
        self.function_urls: FunctionUrls | None = None
        install_lambda_rules()
        install_ssm_rules()
        self.reset()

    def close(self) -> None:
        """Stops the processes of deployed runtimes and closes the connections to them."""
        if self.runtime_data is not None:
            self.runtime_data.close()
        if self.code is not None:
            self.code.stop_all()
        if self.function_urls is not None:
            self.function_urls.close()

    def reset(self) -> None:
        self.close()
        self.code = DeployedCode(self.credentials)
        self.runtimes = RuntimeControl(self.code)
        self.runtime_data = RuntimeDataPlane(self.runtimes, self.code, self.credentials)
        self.function_urls = FunctionUrls(self.credentials)
        self.identity = IdentityControl()
        gateway_identity.attach(self.identity)
        self.flow = IdentityFlow()
        self.github = GitHubStandIn(self._registered_app)
        self.gateway = GatewayDataPlane(self.identity, self.flow, self.credentials)

    def forget_users(self) -> None:
        """Users' state only (sessions, vault, GitHub codes and tokens); the control plane stays as it is."""
        self.flow.forget()
        self.github.forget()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if self.latency:
            time.sleep(self.latency)
        if not _is_loopback(request.remote_addr):
            return Response("the sandbox serves loopback clients only\n", status=403)(environ, start_response)
        try:
            response = self._route(request)
        except AwsError as exc:
            response = exc.response()
        if response is None:
            response = self._moto(environ)
        return response(environ, start_response)

    def _moto(self, environ: dict[str, Any]) -> Response:
        """moto's answer, except that its 500s (not implemented, crashes) become AWS-shaped errors."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers)
            return lambda _data: None

        one_at_a_time = environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_")  # see _DYNAMODB_WRITES
        with _DYNAMODB_WRITES if one_at_a_time else nullcontext():
            body = b"".join(self.moto(environ, capture))
        if captured["status"].startswith("500"):
            return AwsError(
                "InternalFailure", "the sandbox does not implement this request (moto failed on it)", 500
            ).response()
        return Response(body, status=captured["status"], headers=captured["headers"])

    def _route(self, request: Request) -> Response | None:
        path, method, base = request.path, request.method, request.host_url.rstrip("/")
        if FUNCTION_URL_HOST.fullmatch(request.host) and self.function_urls is not None:
            own = f"http://{request.environ['SERVER_NAME']}:{request.environ['SERVER_PORT']}"
            return self.function_urls.handle(request, sandbox_url=own)
        if path.startswith("/identities/"):
            return self._identities(request, path.removeprefix("/identities/"), base)
        if path.startswith("/tags/"):
            arn = unquote(path.removeprefix("/tags/"))
            owner = (
                self.identity if self.identity.owns_arn(arn) else self.runtimes if self.runtimes.owns_arn(arn) else None
            )
            if owner is not None:
                result = owner.tag_op(method, arn, _json(request), request.args.getlist("tagKeys"))
                return _ok(result, status=204 if method != "GET" and not result else 200)
            return None
        if (match := PROTECTED_RESOURCE.fullmatch(path)) and self.runtime_data is not None:
            return self.runtime_data.protected_resource(request, match["arn"], base_url=base)
        if (match := INVOCATIONS.fullmatch(path)) and self.runtime_data is not None:
            return self.runtime_data.handle(request, match["arn"], region=_region(request), base_url=base)
        if path.startswith("/runtimes/"):
            parts = [part for part in path.removeprefix("/runtimes/").split("/") if part]
            query, region = dict(request.args), _region(request)
            status, body = self.runtimes.handle(method, parts, _json(request), query, region, access_key_id(request))
            return _ok(body, status=status)
        if match := GATEWAY_MCP.fullmatch(path):
            if method != "POST":
                return Response(status=405, headers={"Allow": "POST"})
            return self.gateway.handle(request, match[1], match[2], base)
        if path.startswith(("/oidc/", "/.well-known/")) and (answer := self._oidc(request, path, base)) is not None:
            return answer
        if path == "/github/login/oauth/authorize":
            return self.github.authorize_page(request) if method == "GET" else self.github.authorize_submit(request)
        if path == "/github/login/oauth/access_token" and method == "POST":
            return _ok(self.github.exchange(dict(request.form)))
        if path.startswith("/github/api/"):
            return self.github.api(request, path.removeprefix("/github/api/"))
        if path == "/__sandbox/health":
            return _ok({"status": "ok"})
        if path.startswith(OUR_PREFIXES):
            return _ok({"message": f"no route {method} {path}", "routes": ROUTES}, status=404)
        return None

    def _oidc(self, request: Request, path: str, base: str) -> Response | None:
        method = request.method
        if path in OIDC_METADATA and method == "GET":
            return _ok(self.oidc.discovery(base))
        if path == "/oidc/jwks" and method == "GET":
            return _ok(self.oidc.jwks())
        if path == "/oidc/token" and method == "POST":
            if request.mimetype == "application/x-www-form-urlencoded":
                return self.oidc.token(base, request.form)
            return _ok(self.oidc.mint(base, _json(request)))
        if path == "/oidc/authorize" and method in ("GET", "POST"):
            return (
                self.oidc.sign_in_page(base, request.args) if method == "GET" else self.oidc.sign_in(base, request.form)
            )
        if path == "/oidc/register" and method == "POST":
            if request.mimetype != "application/json":
                return _ok({"error": "invalid_client_metadata", "error_description": "send JSON"}, status=400)
            return self.oidc.register(_json(request))
        if path == "/oidc/__revoke" and method == "POST":  # sandbox-only
            body = _json(request)
            user, client_id = body.get("user"), body.get("client_id")
            if not isinstance(user, str) or not isinstance(client_id, str | None):
                raise AwsError("ValidationException", "send JSON {user, client_id?} with strings")
            return _ok({"revoked": self.oidc.revoke_user(user, client_id)})
        return None

    def _identities(self, request: Request, rest: str, base: str) -> Response:
        if request.method == "GET" and rest == "oauth2/authorize":
            return Response(
                status=302, headers={"Location": self._authorize(request.args.get("request_uri", ""), base)}
            )
        if request.method == "GET" and rest.startswith("oauth2/callback/"):
            return self._oauth_callback(request, base)
        if request.method != "POST":
            raise AwsError("UnknownOperationException", f"no route {request.method} /identities/{rest}", 404)
        if rest == "CompleteResourceTokenAuth":
            return _ok(self.flow.complete(_json(request)))
        return _ok(self.identity.handle(rest, _json(request), region=_region(request), base_url=base))

    def _authorize(self, session_uri: str, base: str) -> str:
        with self.flow.lock:
            session = self.flow.sessions.get(session_uri)
        provider = self.identity.providers.get(session.provider) if session else None
        if provider is None:
            raise AwsError(
                "ValidationException", "this authorization link is unknown or expired; call the tool again", 400
            )
        return self.flow.authorize_redirect(
            session_uri, client_id=provider.client_id, callback_url=provider.callback_url, base_url=base
        )

    def _oauth_callback(self, request: Request, base: str) -> Response:
        session = self.flow.session_for_state(request.args.get("state", ""))
        provider = self.identity.providers.get(session.provider)
        if provider is None or request.base_url.rstrip("/") != provider.callback_url:
            raise AwsError("ValidationException", "callback does not belong to the session's provider", 400)
        if "code" not in request.args:
            raise AwsError(
                "ValidationException", f"authorization was not granted: {request.args.get('error', 'no code')}", 400
            )
        exchanged = self.github.exchange(
            {"code": request.args["code"], "client_id": provider.client_id, "client_secret": provider.client_secret}
        )
        if "access_token" not in exchanged:
            raise AwsError("ValidationException", f"code exchange failed: {exchanged.get('error_description')}", 400)
        # The return URL is checked again where the browser is sent to it (UNCONFIRMED, the strict reading:
        # a URL removed from the gateway's identity after the flow started is not used).
        self.identity.check_return_url(session.workload_identity, session.return_url)
        return Response(status=302, headers={"Location": self.flow.consented(session, exchanged["access_token"])})

    def _registered_app(self, client_id: str) -> tuple[str, str] | None:
        """GitHub OAuth apps of the sandbox = its GitHub providers (secret, authorization callback URL)."""
        provider = next((p for p in self.identity.providers.values() if p.client_id == client_id), None)
        return (provider.client_secret, provider.callback_url) if provider else None


def _ok(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body) if status != 204 else "", status=status, content_type="application/json")


def _json(request: Request) -> dict[str, Any]:
    if not request.data:
        return {}
    try:
        body = json.loads(request.data)
    except ValueError as exc:
        raise AwsError("SerializationException", f"request body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise AwsError("SerializationException", "request body must be a JSON object")
    return body


def _region(request: Request) -> str:
    match = CREDENTIAL_SCOPE.search(request.headers.get("Authorization", ""))
    return match.group(1) if match else DEFAULT_REGION


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
