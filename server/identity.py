"""Whose credential a gateway call carries (DESIGN §3).

CUSTOM_JWT: the caller's own bearer JWT, forwarded unchanged - from `Authorization: Bearer`, or
from a custom header when `Authorization` carries SigV4 (clients behind mcp-proxy-for-aws), or on
stdio from the environment / a token file. AWS_IAM: the server signs with its own AWS credentials.
Tokens are never logged; `Caller.__repr__` hides them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from handoff.callers import UNKNOWN_USER, IdentifierKind, display_name, unverified_claims
from server.options import DEFAULT_TOKEN_HEADER as DEFAULT_TOKEN_HEADER  # also imported from here

TOKEN_ENV = "MCP_USER_TOKEN"
SIGNING_SERVICE = "bedrock-agentcore"


class NoCredential(Exception):
    pass


@dataclass(frozen=True)
class Caller:
    """The identity a tool call acts for, and what the callback must present to bind its consent."""

    identifier_kind: IdentifierKind
    identifier: str = field(repr=False)
    name: str | None = None
    """The name shown to people, when known up front; a JWT caller's is read from its claims on demand."""
    bearer: str | None = field(default=None, repr=False)

    @cached_property
    def display_name(self) -> str:
        """Decoded only when shown (a consent link): most tool calls never need it (~14 us a call saved,
        bench/server_overhead.py)."""
        if self.name is not None:
            return self.name
        return _display_name(self.bearer) if self.bearer else UNKNOWN_USER


@dataclass(frozen=True)
class IdentitySettings:
    authorizer: Literal["CUSTOM_JWT", "AWS_IAM", "NONE"]
    region: str
    token_header: str = DEFAULT_TOKEN_HEADER
    token_file: Path | None = None


def caller_from(settings: IdentitySettings, headers: Mapping[str, str] | None) -> Caller:
    """Raises NoCredential with a message saying how to provide one."""
    if settings.authorizer == "AWS_IAM":
        return _aws_caller(settings)
    if settings.authorizer == "NONE":
        return Caller("userId", "anonymous", "anonymous")
    token = _bearer(settings, headers)
    return Caller("userToken", token, bearer=token)


def sign_headers(settings: IdentitySettings, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    """SigV4 (botocore) over the gateway request, with the server's own credentials."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = _aws_credentials()
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(credentials.get_frozen_credentials(), SIGNING_SERVICE, settings.region).add_auth(request)
    return dict(request.headers.items())


def _bearer(settings: IdentitySettings, headers: Mapping[str, str] | None) -> str:
    if headers is not None:
        lowered = {k.lower(): v for k, v in headers.items()}
        custom = lowered.get(settings.token_header.lower(), "").strip()
        token = bearer_credential(lowered.get("authorization", ""))
        if custom:
            scheme, _, credential = custom.partition(" ")
            carried = credential.strip() if scheme.lower() == "bearer" and credential.strip() else custom
            if token is not None and token != carried:
                # A runtime with a JWT authorizer checked the Authorization token, not this header: acting on
                # the header's would act for someone the runtime never authenticated.
                raise NoCredential(
                    f"two different user tokens: one in Authorization and another in {settings.token_header}; "
                    "send one (Authorization: Bearer, or the header when Authorization carries SigV4)"
                )
            return carried
        if token:
            return token
        raise NoCredential(
            "no user token: send `Authorization: Bearer <your JWT>`, or, behind mcp-proxy-for-aws (which signs "
            f"Authorization with SigV4), add `--header {settings.token_header}=<your JWT>` to the proxy"
        )
    if settings.token_file is not None:
        try:
            token = settings.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise NoCredential(f"cannot read the token file {settings.token_file}: {exc.strerror}") from exc
        if token:
            return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    raise NoCredential(f"no user token on stdio: set {TOKEN_ENV}=<your JWT> or start the server with --token-file FILE")


def bearer_credential(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive (RFC 6750
    section 2.1 builds on RFC 7235, whose auth-scheme is case-insensitive: `bearer` and `BEARER` are Bearer)."""
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


def _display_name(token: str) -> str:
    claims = unverified_claims(token)
    return display_name(claims) if claims is not None else UNKNOWN_USER


def _aws_credentials() -> Any:
    """boto3 is imported only by AWS_IAM servers, the ones that sign."""
    import boto3

    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise NoCredential(
            "the gateway uses AWS_IAM but the server has no AWS credentials (set AWS_PROFILE or AWS_* variables)"
        )
    return credentials


def _aws_caller(settings: IdentitySettings) -> Caller:
    access_key = _aws_credentials().get_frozen_credentials().access_key
    # UNCONFIRMED (AWS_FACTS): which userId AWS expects for an AWS_IAM gateway; the sandbox uses the access key id.
    return Caller("userId", access_key, f"AWS principal {access_key}")
