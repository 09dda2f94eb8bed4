"""`config.json`: the hand-off from `reconcile apply` to `mcp-server` and `oauth-callback`.
Identifiers and URLs only, never a secret; written atomically so a reader never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.kinds.base import Live
from reconciler.spec.loading import Stack
from reconciler.spec.openapi_check import operation_ids

FORMAT_VERSION = 1
M = TypeVar("M", bound=BaseModel)
FC = TypeVar("FC", bound=Callable[..., Any])


def build_config(stack: Stack, lives: dict[str, Live], region: str) -> dict[str, Any]:
    by_kind: dict[str, list[tuple[str, Live]]] = {}
    for logical, live in lives.items():
        by_kind.setdefault(stack.resources[logical].kind, []).append((logical, live))
    gateways = by_kind.get("gateway", [])
    targets = [_target(stack, logical, live) for logical, live in by_kind.get("gateway_target", [])]
    return {
        "format_version": FORMAT_VERSION,
        "stack": stack.name,
        "region": region,
        "callback_url": next((t["return_url"] for t in targets if t["return_url"]), None),
        "gateway": _gateway(gateways[0][1]) if gateways else None,
        "tools": {op: tool for t in targets for op, tool in t["tools"].items()},
        "targets": targets,
        "oauth2_providers": [
            {"address": k, "name": v.name, "arn": v.outputs["arn"], "callback_url": v.outputs["callback_url"]}
            for k, v in by_kind.get("oauth2_provider", [])
        ],
        "workload_identities": [
            {"address": k, "name": v.name, "arn": v.outputs["arn"]} for k, v in by_kind.get("workload_identity", [])
        ],
        "roles": {k: v.outputs["arn"] for k, v in by_kind.get("iam_role", [])},
    }


def _gateway(live: Live) -> dict[str, Any]:
    return {**{k: live.outputs[k] for k in ("id", "arn", "url", "name")}, "authorizer": live.document["authorizer"]}


def _target(stack: Stack, logical: str, live: Live) -> dict[str, Any]:
    document = stack.resources[logical].spec["openapi_document"]
    return {
        "address": logical,
        "name": live.name,
        "id": live.outputs["id"],
        "status": live.status,
        "return_url": live.document["oauth"]["default_return_url"],
        "tools": {op: f"{live.name}___{op}" for op in operation_ids(document)},
    }


def write_config(path: Path, config: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(config, handle, indent=2, sort_keys=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_config(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


class ConfigError(Exception):
    """config.json is missing or unusable; the message names the file and the fix."""


def load_config_as(path: Path, model: type[M]) -> M:
    """config.json validated as `model` (what one reader needs of it), with errors for people."""
    hint = "run `reconcile apply` (it writes config.json) or pass --config PATH"
    try:
        raw = read_config(path)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist: {hint}") from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read as JSON ({exc}): {hint}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise ConfigError(f"{path} is incomplete (missing or invalid: {fields}): {hint}") from exc


def config_option(*, envvar: str | None = None, help: str = "Written by `reconcile apply`.") -> Callable[[FC], FC]:
    """The `--config PATH` option every program that reads or writes config.json takes."""
    import click

    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        default=Path("config.json"),
        show_default=True,
        envvar=envvar,
        help=help,
    )
