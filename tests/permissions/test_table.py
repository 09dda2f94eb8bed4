"""The deployer's permission table (reconciler/permissions.py) against the code and the README: every operation
the kinds call is in it, every row is an operation the kinds call and botocore knows, and the README's list is
the one the table generates."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from reconciler import permissions
from reconciler.kinds import all_kinds
from tests.conftest import ROOT

SERVICES = ("iam", "bedrock-agentcore-control", "s3", "dynamodb", "ssm", "lambda")
HELPERS = ("agentcore.py", "s3_common.py", "lock_parameter.py", "ssm_parameters.py")
"""Modules the kinds call AWS through besides their own."""
CALLS = (re.compile(r"\.([a-z][a-z0-9_]*)\("), re.compile(r"get_paginator\(\"([a-z0-9_]+)\"\)"))


def _by_python_name() -> dict[str, set[str]]:
    session, names = botocore.session.get_session(), {}
    for service in SERVICES:
        for operation in session.get_service_model(service).operation_names:
            names.setdefault(xform_name(operation), set()).add(f"{service}:{operation}")
    return names


def _sources() -> dict[str, str]:
    files = {Path(inspect.getfile(type(kind))) for kind in all_kinds().values()}
    files |= {ROOT / "reconciler" / "kinds" / name for name in HELPERS}
    return {path.name: path.read_text() for path in sorted(files)}


def _called() -> dict[str, set[str]]:
    """Python operation name -> the modules that call it."""
    known, called = _by_python_name(), {}
    for module, text in _sources().items():
        for name in (name for pattern in CALLS for name in pattern.findall(text)):
            if name in known:
                called.setdefault(name, set()).add(module)
    return called


def test_every_operation_the_kinds_call_is_in_the_table() -> None:
    known, tabled = _by_python_name(), permissions.operations()
    missing = {name: sorted(modules) for name, modules in _called().items() if not known[name] & tabled}
    assert missing == {}, "add these operations to reconciler/permissions.py (and regenerate the README)"


def test_every_row_is_an_operation_botocore_knows_and_a_kind_calls() -> None:
    session, called = botocore.session.get_session(), _called()
    for operation in sorted(permissions.operations()):
        service, name = operation.split(":")
        assert name in session.get_service_model(service).operation_names, operation
        assert xform_name(name) in called, f"{operation} is in the table but no kind calls it"


@pytest.mark.parametrize("operation", ["CreateAgentRuntime", "UpdateAgentRuntime"])
def test_deploying_code_to_the_runtime_needs_the_artifact(operation: str) -> None:
    """devguide "runtime-code-deploy-common-issues": the caller needs s3:GetObject on the zip."""
    needs = {n.action for n in permissions.NEEDS if n.operation == f"bedrock-agentcore-control:{operation}"}
    assert {"s3:GetObject", "iam:PassRole", f"bedrock-agentcore:{operation}"} <= needs


def test_the_readme_lists_what_the_table_generates() -> None:
    readme = (ROOT / "README.md").read_text()
    begin = readme.index("<!-- permissions:begin")
    listed = readme[readme.index("\n", begin) + 1 : readme.index("<!-- permissions:end -->")]
    assert listed == permissions.format_markdown(), "regenerate with reconciler.permissions.format_markdown()"


def test_the_groups_kinds_are_kinds_and_named_in_their_titles() -> None:
    """`groups_for` (what `reconcile preflight` asks) and the README's group titles name the same kinds."""
    kinds = all_kinds()
    for group, members in permissions.GROUP_KINDS.items():
        assert members <= set(kinds), group
        assert all(kind in permissions.GROUP_TITLES[group] for kind in members), group
    assert permissions.groups_for(["gateway"]) == ["core", "lock"]
    assert permissions.groups_for(["secret_parameter"]) == ["core", "parameters", "lock"]
    assert permissions.groups_for(["gateway", "function_url"]) == ["core", "lambda", "lock"]
