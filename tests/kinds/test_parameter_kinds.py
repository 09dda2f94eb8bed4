"""The hosted callback's parameters against the sandbox's strict Parameter Store (issue 22): the configuration
written from hand-off parts, the generated secret that no read, plan or output ever holds, rotation as an update,
a value written by someone else as drift, discovery and ownership."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from handoff.config import PACKED, hand_off_document
from reconciler.aws import make_clients
from reconciler.kinds.base import Context
from reconciler.kinds.config_parameter import ConfigParameter
from reconciler.kinds.secret_parameter import SecretParameter
from reconciler.secrets import redact
from reconciler.spec.interpolation import UNKNOWN
from sandbox.server import Sandbox
from tests.conftest import FAST

GATEWAY = {
    "id": "gw-1234567890",
    "arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/gw-1234567890",
    "url": "https://gw.example.com/mcp",
    "name": "github-mcp-gateway",
    "authorizer": {
        "type": "CUSTOM_JWT",
        "discovery_url": "https://issuer.example.com/.well-known/openid-configuration",
    },
}
CALLBACK = "https://abc.lambda-url.us-east-1.on.aws/oauth/callback"
PARTS = [{"gateway": GATEWAY}, {"callback_url": CALLBACK}, {"session_table": "github-mcp-sessions"}]


@pytest.fixture
def ctx(sandbox: Sandbox) -> Context:
    return Context.configured(clients=make_clients(), stack="github-mcp", progress=lambda _m: None, settings=FAST)


def test_the_configuration_is_written_read_back_and_updated(ctx: Context) -> None:
    kind, name = ConfigParameter(), "/github-mcp/callback-config"
    spec: dict[str, Any] = {"hand_off": PARTS}
    live = kind.create(ctx, name, spec)
    assert live.owned and live.document == kind.desired(name, spec, stack="github-mcp")
    value = boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    assert value.startswith(PACKED)  # packed: the standard tier's 4 KB holds the shipped toolset
    stored = hand_off_document(value, name, "")
    assert stored["stack"] == "github-mcp" and stored["callback_url"] == CALLBACK and stored["format_version"] == 1
    assert kind.notices(None, live) == (
        f"Redirect URI of the OAuth callback's sign-in (parameter {name}):\n"
        "  https://abc.lambda-url.us-east-1.on.aws/oauth/signed-in\n"
        "Register it with your identity provider as an allowed redirect (callback) URL of the sign-in client "
        "(the gateway's allowed client, or OIDC_CLIENT_ID). Until you do, the callback cannot sign users in.",
    )
    moved = {"hand_off": [*PARTS[:1], {"callback_url": "https://new.example.com/oauth/callback"}, PARTS[2]]}
    assert kind.desired(name, moved, stack="github-mcp") != live.document
    after = kind.update(ctx, live, moved)
    assert after.document == kind.desired(name, moved, stack="github-mcp")
    assert boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Version"] == 2
    assert kind.notices(after, after) == ()
    assert kind.discover(ctx, {}) == [(name, {})]
    assert kind.owners(ctx) == [("github-mcp", name)]
    kind.delete(ctx, after)
    assert kind.read(ctx, name, spec) is None


def test_the_configuration_is_unknown_until_its_parts_are() -> None:
    spec = {"hand_off": [{"gateway": UNKNOWN}, PARTS[1]]}
    assert ConfigParameter().desired("/s/c", spec, stack="s") == {"hand_off": UNKNOWN}


def test_the_secret_is_generated_never_read_and_rotated_as_an_update(ctx: Context) -> None:
    kind, name, ssm = SecretParameter(), "/github-mcp/callback-secret", boto3.client("ssm")
    spec: dict[str, Any] = {"rotation": "1"}
    live = kind.create(ctx, name, spec)
    assert live.owned and live.document == kind.desired(name, spec, stack="github-mcp")
    value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    assert len(value) >= 43 and value not in json.dumps([live.document, live.outputs, live.tags])
    assert redact(f"an error that quoted {value}") == "an error that quoted (sensitive)"
    rotated = {"rotation": "2"}
    assert kind.desired(name, rotated, stack="github-mcp") != live.document  # a plan shows an update
    after = kind.update(ctx, live, rotated)
    assert after.document == kind.desired(name, rotated, stack="github-mcp")
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] != value


def test_a_secret_written_by_someone_else_is_drift(ctx: Context) -> None:
    kind, name, ssm = SecretParameter(), "/github-mcp/callback-secret", boto3.client("ssm")
    kind.create(ctx, name, {})
    ssm.put_parameter(Name=name, Value="x" * 40, Type="SecureString", Overwrite=True)
    live = kind.read(ctx, name, {})
    assert live is not None and live.document["written_by"] == "someone else"
    assert kind.update(ctx, live, {}).document == kind.desired(name, {}, stack="github-mcp")


def test_a_string_of_the_same_name_is_replaced_not_overwritten(ctx: Context) -> None:
    kind, name = SecretParameter(), "/github-mcp/callback-secret"
    boto3.client("ssm").put_parameter(Name=name, Value="plain text", Type="String")
    live = kind.read(ctx, name, {})
    assert live is not None and not live.owned and live.document["type"] == "String"
    assert ("type",) in kind.force_new
