"""OpenAPI documents for gateway targets: valid OpenAPI (openapi-spec-validator) and within what
the AgentCore gateway accepts (AWS_FACTS: 3.0/3.1, real `servers` URL, operationId everywhere,
application/json only, no oneOf/anyOf/allOf, no $ref, no parameter serializers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.diagnostics import Diagnostic
from reconciler.spec.openapi_verdicts import accepted_before, remember_accepted
from reconciler.spec.yaml_lines import Path as KeyPath
from reconciler.spec.yaml_lines import YamlError, line_of, load_with_lines, read_text, unreadable

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
FORBIDDEN_KEYS = {"oneOf", "anyOf", "allOf", "$ref"}
SERIALIZER_KEYS = {"style", "explode", "allowReserved"}


def load_openapi(path: Path) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """Parse and check one OpenAPI file; the document is None when it cannot be used."""
    try:
        document, lines = load_with_lines(read_text(path))
    except (OSError, UnicodeDecodeError) as exc:
        reason = unreadable(exc)
        return None, [
            Diagnostic(
                f"cannot read OpenAPI file {path}",
                f"{reason}; check the `openapi:` path (relative to stack.yaml)",
                file=str(path),
            )
        ]
    except YamlError as exc:
        return None, [
            Diagnostic(
                f"{path} is not valid YAML/JSON: {exc}", "fix the syntax at that line", file=str(path), line=exc.line
            )
        ]
    problems = check_openapi(document, lines, str(path))
    return (None if problems else document), problems


def check_openapi(document: Any, lines: dict[KeyPath, int], file: str) -> list[Diagnostic]:
    if not isinstance(document, dict):
        return [Diagnostic("OpenAPI document must be a mapping", file=file, line=1)]

    def problem(summary: str, path: KeyPath, detail: str) -> Diagnostic:
        return Diagnostic(summary, detail, file=file, line=line_of(lines, path), key=".".join(map(str, path)) or None)

    version = str(document.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        return [
            problem(
                f"OpenAPI version {version or '(missing)'} is not supported",
                ("openapi",),
                "the gateway accepts OpenAPI 3.0 or 3.1: set `openapi: 3.0.3`",
            )
        ]
    found: list[Diagnostic] = []
    if not accepted_before(document):
        found = _validated(document, version, problem)
        if not found:
            remember_accepted(document)
    return found + _gateway_rules(document, problem)


def _validated(document: dict[str, Any], version: str, problem: Any) -> list[Diagnostic]:
    """openapi-spec-validator's problems with the document (imported here: see reconciler.spec.openapi_verdicts)."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    validator = OpenAPIV30SpecValidator if version.startswith("3.0") else OpenAPIV31SpecValidator
    try:
        return [
            problem(
                "invalid OpenAPI: " + _short(err.message),
                tuple(err.path),
                "see the OpenAPI specification for this field",
            )
            for err in validator(document).iter_errors()
        ]
    except Exception as exc:  # the validator raises (instead of reporting) on e.g. unresolvable $ref
        return [
            problem("invalid OpenAPI: " + _short(str(exc)), (), "fix the document so openapi-spec-validator accepts it")
        ]


def _gateway_rules(document: dict[str, Any], problem: Any) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    servers = document.get("servers") or []
    if not servers or not str(servers[0].get("url", "")).startswith("https://"):
        found.append(
            problem(
                "the gateway needs a real https server URL",
                ("servers",),
                "add `servers: [{url: https://api.github.com}]`",
            )
        )
    seen: dict[str, KeyPath] = {}
    for route, item in (document.get("paths") or {}).items():
        for method in METHODS:
            operation = (item or {}).get(method)
            if not isinstance(operation, dict):
                continue
            where: KeyPath = ("paths", route, method)
            op_id = operation.get("operationId")
            if not op_id:
                found.append(
                    problem(
                        f"{method.upper()} {route} has no operationId",
                        where,
                        "the gateway names each tool <Target>___<operationId>: add `operationId: someName`",
                    )
                )
            elif op_id in seen:
                found.append(
                    problem(
                        f"operationId {op_id!r} is used twice",
                        where + ("operationId",),
                        "operationIds name tools and must be unique",
                    )
                )
            else:
                seen[op_id] = where
            found.extend(_content_types(operation, where, problem))
            for i, param in enumerate(operation.get("parameters") or []):
                for key in SERIALIZER_KEYS & set(param):
                    found.append(
                        problem(
                            f"parameter serializer `{key}` is not supported by the gateway",
                            where + ("parameters", i, key),
                            f"remove `{key}`",
                        )
                    )
    found.extend(_forbidden_keys(document, (), problem))
    return found


def _content_types(operation: dict[str, Any], where: KeyPath, problem: Any) -> list[Diagnostic]:
    bodies: list[tuple[KeyPath, dict[str, Any]]] = []
    if isinstance(operation.get("requestBody"), dict):
        bodies.append((where + ("requestBody",), operation["requestBody"]))
    for status, response in (operation.get("responses") or {}).items():
        if isinstance(response, dict):
            bodies.append((where + ("responses", status), response))
    return [
        problem(
            f"content type {media!r} is not supported by the gateway",
            path + ("content", media),
            "use application/json only",
        )
        for path, body in bodies
        for media in (body.get("content") or {})
        if media != "application/json"
    ]


def _forbidden_keys(value: Any, path: KeyPath, problem: Any) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in FORBIDDEN_KEYS:
                found.append(
                    problem(
                        f"`{key}` is not supported by the gateway",
                        path + (key,),
                        "inline the schema; the gateway rejects oneOf/anyOf/allOf and $ref",
                    )
                )
            else:
                found.extend(_forbidden_keys(item, path + (key,), problem))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.extend(_forbidden_keys(item, path + (i,), problem))
    return found


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def operation_ids(document: dict[str, Any]) -> list[str]:
    return [
        op["operationId"]
        for item in (document.get("paths") or {}).values()
        for method, op in (item or {}).items()
        if method in METHODS and isinstance(op, dict) and op.get("operationId")
    ]


def operation_presentations(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    """operationId -> how mcp-server presents it (handoff.config.OperationConfig): its toolset (first tag),
    HTTP method, and the `x-mcp-name` / `x-mcp-summary` extensions; defaults left out, to stay small."""
    found: dict[str, dict[str, str]] = {}
    for item in (document.get("paths") or {}).values():
        for method, op in (item or {}).items():
            if method not in METHODS or not isinstance(op, dict) or not op.get("operationId"):
                continue
            tags = op.get("tags") or []
            entry = {"toolset": str(tags[0]) if tags else "", "method": method}
            for key, extension in (("name", "x-mcp-name"), ("summary", "x-mcp-summary")):
                if isinstance(op.get(extension), str):
                    entry[key] = op[extension]
            found[op["operationId"]] = {k: v for k, v in entry.items() if v and (k, v) != ("method", "get")}
    return found
