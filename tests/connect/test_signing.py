"""Every request is SigV4-signed over its final form, the fresh JWT header included, and verifies with the
sandbox's own check (botocore recomputing the signature, as AgentCore does)."""

from __future__ import annotations

from itertools import count

import httpx
import pytest
from botocore.credentials import Credentials
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from connect.signing import TOKEN_HEADER, SigV4TokenAuth
from sandbox.sigv4 import SignatureError, verify_sigv4

URL = "http://127.0.0.1:9/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A1%3Aruntime%2Fr-1/invocations?qualifier=DEFAULT"
SECRETS = {"AKIDEXAMPLE": "secret-example"}


def as_werkzeug(request: httpx.Request, **changed: str) -> Request:
    raw = request.url.raw_path.decode()
    headers = {k: v for k, v in request.headers.items()} | changed
    builder = EnvironBuilder(
        method=request.method,
        path=raw.split("?")[0],
        query_string=request.url.query.decode(),
        headers=headers,
        data=request.content,
        base_url="http://127.0.0.1:9",
    )
    environ = builder.get_environ()
    environ["REQUEST_URI"] = environ["RAW_URI"] = raw  # as the sandbox's server sees it
    return Request(environ)


def test_each_request_carries_the_current_token_and_a_signature_over_it() -> None:
    sent: list[httpx.Request] = []
    tokens = (f"jwt-{n}" for n in count())

    def runtime(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": {}})

    credentials = Credentials("AKIDEXAMPLE", "secret-example")
    auth = SigV4TokenAuth(credentials=lambda: credentials, region="us-east-1", token=lambda: next(tokens))
    with httpx.Client(transport=httpx.MockTransport(runtime), auth=auth) as http:
        for _ in range(2):
            http.post(
                URL,
                content=b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
                headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
            )
    assert [r.headers[TOKEN_HEADER] for r in sent] == ["jwt-0", "jwt-1"]
    for request in sent:
        authorization = request.headers["Authorization"]
        assert "/us-east-1/bedrock-agentcore/aws4_request" in authorization
        assert TOKEN_HEADER.lower() in authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        assert verify_sigv4(as_werkzeug(request), SECRETS, service="bedrock-agentcore") == "AKIDEXAMPLE"
    with pytest.raises(SignatureError, match="does not match"):  # a swapped token breaks the signature
        verify_sigv4(as_werkzeug(sent[0], **{TOKEN_HEADER: "someone-else"}), SECRETS, service="bedrock-agentcore")
