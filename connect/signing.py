"""SigV4 over the final request, with the user's JWT in the allow-listed header: an httpx Auth.

botocore's own SigV4Auth (service `bedrock-agentcore`) signs exactly what is sent: method, URL as written
(the runtime ARN stays percent-encoded), body, and the headers below, the JWT header included, so the
token cannot be swapped in transit. Credentials are read per request (`get_frozen_credentials`), so
renewed SSO or assumed-role credentials are used as they rotate."""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

SERVICE = "bedrock-agentcore"
TOKEN_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Token"
SIGNED_HEADERS = ("host", "content-type", "accept", "mcp-session-id", "mcp-protocol-version", TOKEN_HEADER.lower())
"""Signed when present. Hop-by-hop and client-library headers (connection, accept-encoding, user-agent) are
left out: a proxy on the way may rewrite them."""


class SigV4TokenAuth(httpx.Auth):
    requires_request_body = True

    def __init__(self, *, credentials: Callable[[], Any], region: str, token: Callable[[], str]) -> None:
        self.credentials, self.region, self.token = credentials, region, token
        # botocore.auth logs the canonical request, JWT header included, at DEBUG: never let it through.
        logging.getLogger("botocore.auth").setLevel(logging.INFO)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[TOKEN_HEADER] = self.token()
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            request.headers.pop(name, None)
        headers = {name: request.headers[name] for name in SIGNED_HEADERS if name in request.headers}
        aws = AWSRequest(method=request.method, url=str(request.url), data=request.content, headers=headers)
        SigV4Auth(self.credentials(), SERVICE, self.region).add_auth(aws)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in aws.headers:
                request.headers[name] = aws.headers[name]
        yield request


def aws_credentials(profile: str | None, region: str) -> Callable[[], Any]:
    """The user's AWS credentials (profile or the environment's chain), frozen afresh per request."""
    import boto3

    session = boto3.Session(profile_name=profile, region_name=region)
    credentials = session.get_credentials()
    if credentials is None:
        where = f"profile {profile!r}" if profile else "the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)"
        raise RuntimeError(f"no AWS credentials found in {where}: pass --profile NAME or run `aws sso login`")
    frozen: Callable[[], Any] = credentials.get_frozen_credentials
    return frozen
