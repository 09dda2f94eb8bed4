"""The sandbox's single WSGI entry: our own routes first, everything else to moto.

Only loopback clients are served. Unknown routes under our prefixes say what exists.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

from sandbox.errors import AwsError
from sandbox.identity_control import IdentityControl

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
DEFAULT_REGION = "us-east-1"


class SandboxApp:
    def __init__(self) -> None:
        self.identity = IdentityControl()
        self.moto: WSGIApp = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if not _is_loopback(request.remote_addr):
            return Response("the sandbox serves loopback clients only\n", status=403)(environ, start_response)
        try:
            response = self._route(request)
        except AwsError as exc:
            response = exc.response()
        if response is None:
            return self.moto(environ, start_response)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response | None:
        path = request.path
        if path.startswith("/identities/") and request.method == "POST":
            operation = path.removeprefix("/identities/")
            result = self.identity.handle(
                operation, _json(request), region=_region(request), base_url=_base_url(request)
            )
            return _ok(result)
        if path.startswith("/tags/"):
            arn = unquote(path.removeprefix("/tags/"))
            if self.identity.owns_arn(arn):
                result = self.identity.tag_op(request.method, arn, _json(request), request.args.getlist("tagKeys"))
                return _ok(result, status=204 if request.method != "GET" and not result else 200)
        if path == "/__sandbox/health":
            return _ok({"status": "ok"})
        return None


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


def _base_url(request: Request) -> str:
    return request.host_url.rstrip("/")


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
