"""`config.json`: what `reconcile apply` hands to `mcp-server` and `oauth-callback`.

Identifiers and URLs only, never a secret. One model for writer and readers, with its format
version; written atomically so a reader never sees half a file."""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import typing
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from handoff.options import config_option as config_option  # where `reconcile` imports it from

FORMAT_VERSION = 1


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuthorizerConfig(_Part):
    type: Literal["CUSTOM_JWT", "AWS_IAM", "NONE"]
    discovery_url: str | None = None
    allowed_audience: list[str] = []
    allowed_clients: list[str] = []
    allowed_scopes: list[str] = []


class GatewayConfig(_Part):
    id: str
    arn: str
    url: str
    name: str
    authorizer: AuthorizerConfig


class TargetConfig(_Part):
    address: str
    name: str
    id: str
    status: str | None = None
    return_url: str | None = None
    tools: dict[str, str] = {}
    """operationId -> gateway tool name (`<TargetName>___<operationId>`)."""


class OperationConfig(_Part):
    """How mcp-server presents one OpenAPI operation as a tool (server/catalog.py): what the gateway's own
    tool list does not say. Defaults are left out of the hand-off (exclude_defaults), which on AgentCore
    Runtime must fit one 5,000-character environment variable."""

    toolset: str = ""
    """The operation's first tag (`repos`, `issues`, ...): MCP_TOOLSETS chooses among them."""
    method: str = "get"
    """The HTTP method: GET is a read; anything else a write (offered only with MCP_ALLOW_WRITES=1)."""
    name: str | None = None
    """`x-mcp-name`: the tool's name (default: the operationId in snake_case)."""
    summary: str | None = None
    """`x-mcp-summary`: a line of text per result, `{field}` / `{field.sub}` from GitHub's JSON."""


class ProviderConfig(_Part):
    address: str
    name: str
    arn: str
    callback_url: str


class IdentityConfig(_Part):
    address: str
    name: str
    arn: str


class RuntimeConfig(_Part):
    """The AgentCore Runtime that hosts mcp-server, and the door clients reach it by."""

    address: str
    name: str
    arn: str
    invocation_url: str
    """https://bedrock-agentcore.<region>.amazonaws.com/runtimes/<url-encoded ARN>/invocations?qualifier=DEFAULT"""
    authorizer: Literal["AWS_IAM", "CUSTOM_JWT"] = "AWS_IAM"
    """Its inbound door: AWS_IAM (SigV4: mcp-connect) or CUSTOM_JWT (MCP clients sign in by themselves)."""


class HandOff(_Part):
    format_version: int = FORMAT_VERSION
    stack: str
    region: str
    callback_url: str | None = None
    gateway: GatewayConfig | None = None
    tools: dict[str, str] = {}
    operations: dict[str, OperationConfig] = {}
    """operationId -> how mcp-server presents it (same keys as `tools`)."""
    targets: list[TargetConfig] = []
    oauth2_providers: list[ProviderConfig] = []
    workload_identities: list[IdentityConfig] = []
    roles: dict[str, str] = {}
    """address -> role ARN."""
    runtime: RuntimeConfig | None = None
    session_table: str | None = None
    """The DynamoDB table of OAuth sessions, when the stack declares one (else each program's SQLite file)."""

    @property
    def callback_address(self) -> str | None:
        """Where AgentCore sends browsers after consent: `callback_url`, else the first target's return URL."""
        return self.callback_url or next((t.return_url for t in self.targets if t.return_url), None)


HAND_OFF_VARIABLE = "MCP_SERVER_HANDOFF"
"""The environment variable that carries mcp-server's HandOff on AgentCore Runtime (the agent_runtime
kind's `hand_off`), where no config.json is at hand: the same model as the file, as JSON, packed (PACKED)."""


SERVER_FIELDS = ("callback_url", "gateway", "tools", "operations", "session_table")
"""What mcp-server reads of a HandOff besides stack and region (server.config): all the agent_runtime
kind passes in HAND_OFF_VARIABLE."""


def merge_parts(parts: Iterable[Mapping[str, Any]], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Resources' parts of a HandOff (`Kind.hand_off`) as one: list fields collect every part, map fields
    merge, single values keep the first."""
    merged: dict[str, Any] = {} if into is None else into
    for part in parts:
        for key, value in part.items():
            shape = typing.get_origin(HandOff.model_fields[key].annotation)
            if shape is list:
                merged.setdefault(key, []).extend(value)
            elif shape is dict:
                merged.setdefault(key, {}).update(value)
            else:
                merged.setdefault(key, value)
    return merged


class ConfigError(Exception):
    """config.json is missing or unusable; the message names the file and the fix."""


def write_config(path: Path, config: HandOff) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(config.model_dump_json(indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


MAX_HAND_OFF_BYTES = 512 * 1024
"""A hand-off is a few KB (a 54-resource stack: ~30 KB); Linux caps one environment string at 128 KiB."""
MAX_HAND_OFF_DEPTH = 16
"""Arrays and objects inside one another; a HandOff has 4 (gateway.authorizer.allowed_audience[i])."""


def read_raw(path: Path) -> dict[str, Any]:
    """The file as JSON, for printing (`reconcile output`); raises ConfigError."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_HAND_OFF_BYTES + 1)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist: {_HINT}") from exc
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc}): {_HINT}") from exc
    return _parsed(data, str(path), _HINT)


def _parsed(data: bytes | str, source: str, hint: str) -> dict[str, Any]:
    """JSON within MAX_HAND_OFF_BYTES and MAX_HAND_OFF_DEPTH, as a dict; else a ConfigError naming `source`
    (json.loads alone meets deep nesting with a RecursionError)."""
    if len(data) > MAX_HAND_OFF_BYTES:
        raise ConfigError(f"{source} is larger than {MAX_HAND_OFF_BYTES // 1024} KiB: {hint}")
    try:
        raw = json.loads(data)
    except RecursionError:
        raw = None
    except ValueError as exc:
        raise ConfigError(f"{source} is not JSON ({str(exc)[:200]}): {hint}") from None
    if raw is None or _depth(raw) > MAX_HAND_OFF_DEPTH:
        raise ConfigError(f"{source} is nested deeper than {MAX_HAND_OFF_DEPTH} levels: {hint}")
    if not isinstance(raw, dict):
        raise ConfigError(f"{source} is not a JSON object: {hint}")
    return raw


def _depth(value: Any) -> int:
    """How many arrays and objects lie inside one another in `value`, counted without recursion."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            if depth <= MAX_HAND_OFF_DEPTH:
                level.extend((child, depth + 1) for child in children)
    return deepest


def load_config(path: Path) -> HandOff:
    """config.json validated, with errors for people; a file from a newer reconcile is refused."""
    return _validated(read_raw(path), str(path))


PACKED = "zlib:"
"""Marks a packed hand-off: the compact JSON, zlib-compressed and base64-encoded. apply packs the hand-off it
puts where room is short: the Runtime's environment variable holds 5,000 characters (botocore's
EnvironmentVariableValue), and the shipped stack's (23 operations, a CUSTOM_JWT gateway) takes ~4,500 as JSON
but ~1,700 packed (~70 per operation: room for about 45 more); a new callback SSM parameter stays in the standard
tier (4 KB)."""


def pack(text: str) -> str:
    """`text` (the hand-off's JSON) packed: PACKED and base64 of its zlib compression."""
    return PACKED + base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")


def hand_off_document(text: str, source: str, hint: str) -> dict[str, Any]:
    """The JSON object of a hand-off as apply stored it, packed or plain (what apply wrote before packing);
    raises ConfigError naming `source`. Unpacking stops past MAX_HAND_OFF_BYTES, so a small value cannot
    inflate into a large one."""
    if not text.startswith(PACKED):
        return _parsed(text, source, hint)
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.b64decode(text[len(PACKED) :], validate=True), MAX_HAND_OFF_BYTES + 1)
    except (binascii.Error, zlib.error, ValueError) as exc:
        raise ConfigError(f"{source} is not a packed hand-off ({str(exc)[:100]}): {hint}") from None
    if len(data) <= MAX_HAND_OFF_BYTES and not inflater.eof:
        raise ConfigError(f"{source} is a packed hand-off cut short: {hint}")
    if inflater.unused_data:
        raise ConfigError(f"{source} has bytes after its packed hand-off: {hint}")
    return _parsed(data, source, hint)


def config_from_environment(environ: Mapping[str, str]) -> HandOff | None:
    """The HandOff in HAND_OFF_VARIABLE (AgentCore Runtime), None when it is not set; raises ConfigError."""
    text = environ.get(HAND_OFF_VARIABLE)
    if text is None:
        return None
    source = f"environment variable {HAND_OFF_VARIABLE}"
    return _validated(hand_off_document(text, source, _RUNTIME_HINT), source, hint=_RUNTIME_HINT)


def _validated(raw: dict[str, Any], source: str, hint: str | None = None) -> HandOff:
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise ConfigError(
            f"{source} has format_version {version!r}; this program reads version {FORMAT_VERSION}: "
            "run the same version of `reconcile apply` as of the programs reading it"
        )
    try:
        return HandOff.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise ConfigError(f"{source} is incomplete (missing or invalid: {fields}): {hint or _HINT}") from exc


_HINT = "run `reconcile apply` (it writes config.json) or pass --config PATH"
_RUNTIME_HINT = "the agent_runtime resource's hand_off sets it; run `reconcile apply` with the same version"
