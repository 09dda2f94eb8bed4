"""Lambda function URLs: `https://<url id>.lambda-url.<region>.on.aws/` as AWS writes them, reached on the sandbox's
loopback port with that name in the Host header (a client maps the name to the sandbox, as
demo/function_urls.py does for httpx). The request becomes the payload format 2.0 event AWS sends (developer
guide, "Invoking Lambda function URLs": version, rawPath, rawQueryString, cookies, lower-cased headers,
requestContext.http, body, isBase64Encoded), the function's uploaded zip handles it (sandbox.lambda_code), and
its result becomes the HTTP answer (statusCode, headers, cookies as Set-Cookie, body).

Refusals, as AWS makes them: a URL that names no function is 404; an AuthType NONE URL answers only when the
function's resource-based policy grants the public `lambda:InvokeFunctionUrl` (with `FunctionUrlAuthType`
NONE) *and* `lambda:InvokeFunction` (developer guide, "Control access to Lambda function URLs": required of
URLs created from October 2025), else 403 {"Message": "Forbidden"}; AWS_IAM URLs are not served (403, the
sandbox does not sign for browsers); reserved concurrency 0 is 429 (throttled); a function still Pending is
409 ResourceConflictException (UNCONFIRMED for URLs: Invoke's documented answer); a handler error, a failed init or a
timeout is 502 {"Message": "Internal Server Error"}.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from moto.awslambda.models import lambda_backends
from werkzeug.wrappers import Request, Response

from sandbox.identity_control import ACCOUNT
from sandbox.lambda_code import Environments, FunctionFailed

HOST = re.compile(r"(?P<id>[a-z0-9]{32})\.lambda-url\.(?P<region>[a-z0-9-]+)\.on\.aws(:\d+)?")
TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded")
"""Bodies sent as text; anything else is base64 (isBase64Encoded). Which types AWS encodes: UNCONFIRMED."""


def _message(text: str, status: int) -> Response:
    return Response(json.dumps({"Message": text}), status=status, content_type="application/json")


class FunctionUrls:
    def __init__(self, credentials: dict[str, str]) -> None:
        self.environments = Environments(credentials)

    def close(self) -> None:
        self.environments.stop_all()

    def handle(self, request: Request, *, sandbox_url: str) -> Response:
        match = HOST.fullmatch(request.host)
        assert match is not None
        host = request.host.split(":")[0]
        function = _function_of(match["region"], f"https://{host}/")
        if function is None:
            return _message("Not Found", 404)
        refused = _refusal(function)
        if refused is not None:
            return refused
        try:
            result = self.environments.invoke(function, event(request, host, match["id"]), base_url=sandbox_url)
        except FunctionFailed:
            return _message("Internal Server Error", 502)
        return answer(result)


def _function_of(region: str, url: str) -> Any:
    backend = lambda_backends[ACCOUNT][region]
    for function in backend.list_functions():
        config = function.url_config
        if config is not None and config.url == url:
            return function
    return None


def _refusal(function: Any) -> Response | None:
    if function.url_config.config.get("AuthType") != "NONE":
        return _message("Forbidden", 403)
    if not _public(function.policy.statements):
        return _message("Forbidden", 403)
    if function.reserved_concurrency is not None and int(function.reserved_concurrency) == 0:
        return _message("Rate Exceeded.", 429)
    if function.state == "Pending":
        body = {"Type": "User", "message": "The function is currently in the following state: Pending"}
        return Response(json.dumps(body), status=409, headers={"x-amzn-ErrorType": "ResourceConflictException"})
    return None


def _public(statements: list[dict[str, Any]]) -> bool:
    """Both grants a NONE URL needs: InvokeFunctionUrl (for NONE URLs) and InvokeFunction, to everyone."""
    granted = set()
    for statement in statements:
        principal = statement.get("Principal")
        if statement.get("Effect") != "Allow" or principal not in ("*", {"AWS": "*"}):
            continue
        action = statement.get("Action")
        auth_type = statement.get("FunctionUrlAuthType") or _condition(statement, "lambda:FunctionUrlAuthType")
        if action == "lambda:InvokeFunctionUrl" and auth_type == "NONE":
            granted.add(action)
        elif action == "lambda:InvokeFunction":
            granted.add(action)
    return granted == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}


def _condition(statement: dict[str, Any], key: str) -> Any:
    for values in (statement.get("Condition") or {}).values():
        if isinstance(values, dict) and key in values:
            return values[key]
    return None


def event(request: Request, host: str, url_id: str) -> dict[str, Any]:
    """The payload format 2.0 event of a function URL request."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        if name.lower() == "cookie":
            continue
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    headers.update({"host": host, "x-forwarded-proto": "https", "x-forwarded-port": "443"})
    headers["x-forwarded-for"] = request.remote_addr or "127.0.0.1"
    body = request.get_data()
    text = request.mimetype.startswith(TEXT_TYPES) if request.mimetype else False
    query: dict[str, str] = {}
    for key, value in parse_qsl(request.query_string.decode(), keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    now = time.time()
    found: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode(),
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": host,
            "domainPrefix": url_id,
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": bool(body) and not text,
    }
    cookies = [part.strip() for part in request.headers.get("Cookie", "").split(";") if part.strip()]
    if cookies:
        found["cookies"] = cookies
    if query:
        found["queryStringParameters"] = query
    if body:
        found["body"] = body.decode() if text else base64.b64encode(body).decode()
    return found


def answer(result: Any) -> Response:
    """The HTTP response for a handler's result (a result without statusCode is a JSON body with 200)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return Response(json.dumps(result), status=200, content_type="application/json")
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    response = Response(data, status=int(result["statusCode"]))
    response.headers.remove("Content-Type")
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response
