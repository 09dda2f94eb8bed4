"""The contract every registered kind keeps (reconciler.kinds.all_kinds), checked kind by kind: adding a kind
fails here until it is whole. Samples come from the shipped stack.yaml plus SAMPLES below (a kind the shipped
stack does not use needs one there), loaded as `reconcile plan` loads them and taken through `desired`."""

from __future__ import annotations

import ast
import inspect
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pytest

from handoff.config import HandOff
from reconciler.aws import service_model
from reconciler.kinds import all_kinds
from reconciler.kinds.base import Kind
from reconciler.live import Live, LiveState
from reconciler.spec.interpolation import resolve_refs
from reconciler.stack import Stack, load_stack
from tests.kinds.incomplete_kind import Incomplete

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "GITHUB_CLIENT_ID": "Iv1.contract",
    "GITHUB_CLIENT_SECRET": "contract-secret",
    "OIDC_DISCOVERY_URL": "https://issuer.example.com/.well-known/openid-configuration",
    "OIDC_CLIENT_ID": "mcp-client",
    "SERVER_SOURCE": str(ROOT),
}
SAMPLES = """
  contract_identity:
    kind: workload_identity
    allowed_return_urls: [https://callback.example.com/oauth/callback]
  contract_function:
    kind: lambda_function
    role_arn: ${runtime_role.arn}
    code: {bucket: "${server_code.bucket}", key: "${server_code.key}", sha256: "${server_code.sha256}"}
    runtime: python3.12
    handler: callback.lambda_handler.handler
  contract_url:
    kind: function_url
    function: ${contract_function.name}
  contract_secret:
    kind: secret_parameter
  contract_config:
    kind: config_parameter
    hand_off: ["${gateway.hand_off}", "${github_target.hand_off}"]
"""
"""Resources of the kinds the shipped stack does not declare, added to it under `resources:`."""
KINDS = all_kinds()
WAITS = ("wait_for_status", "wait_until_gone")


@dataclass(frozen=True)
class Sample:
    address: str
    spec: dict[str, Any]
    """Its spec with every reference resolved from the resources before it."""
    desired: dict[str, Any]
    live: Live
    """As if applied: the desired document, outputs made up from the name."""


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sample]:
    """One sample per kind: the first resource of that kind in the contract stack."""
    folder = tmp_path_factory.mktemp("contract")
    shutil.copytree(ROOT / "openapi", folder / "openapi")
    text = (ROOT / "stack.yaml").read_text().replace("resources:\n", "resources:\n" + SAMPLES.lstrip("\n"), 1)
    (folder / "stack.yaml").write_text(text)
    stack = load_stack(folder / "stack.yaml", ENV)
    return applied(stack)


def applied(stack: Stack) -> dict[str, Sample]:
    state, found = LiveState(), {}
    for logical in stack.order():
        decl, kind = stack.resources[logical], stack.kinds[stack.resources[logical].kind]
        spec = resolve_refs(decl.spec, lambda ref: output(stack, state, ref.resource, ref.attribute))
        desired = kind.desired(decl.name, spec, stack=stack.name)
        outputs = {a: (decl.name if a == "name" else f"{a}:{decl.name}") for a in kind.attributes}
        live = state.resources[logical] = Live(decl.name, True, desired, outputs, status=_done_status(kind))
        found.setdefault(decl.kind, Sample(logical, spec, desired, live))
    return found


def output(stack: Stack, state: LiveState, address: str, attribute: str) -> Any:
    live = state.resources[address]
    assert live is not None
    return stack.kinds[stack.resources[address].kind].output(address, live, attribute)


def _done_status(kind: Kind) -> str | None:
    return next((s for values in kind.statuses.values() for s in sorted(values) if s in ("READY", "ACTIVE")), None)


# The checks, each a function of a kind (and its sample) returning what is wrong: the tests below assert
# none for every registered kind, and test_an_incomplete_kind_is_caught that they catch a broken one.


def spec_literal_problems(kind: Kind) -> list[str]:
    field = kind.spec_model.model_fields.get("kind")
    literal = get_args(field.annotation) if field is not None else ()
    return [] if literal == (kind.kind,) else [f"spec model's kind is Literal{list(literal)}, not [{kind.kind!r}]"]


def force_new_problems(kind: Kind, sample: Sample) -> list[str]:
    return [f"force_new path {path} is not in desired()" for path in kind.force_new if not _has(sample.desired, path)]


def _has(document: Any, path: tuple[str, ...]) -> bool:
    for step in path:
        if not isinstance(document, dict) or step not in document:
            return False
        document = document[step]
    return True


def name_problems(kind: Kind, sample: Sample) -> list[str]:
    try:
        pattern = re.compile(kind.name_pattern)
    except re.error as exc:
        return [f"name_pattern does not compile: {exc}"]
    name = sample.live.name
    return [] if pattern.fullmatch(name) else [f"the sample's name {name!r} does not match name_pattern"]


def hand_off_problems(kind: Kind, sample: Sample) -> list[str]:
    part = kind.hand_off(sample.address, sample.live)
    overrides = type(kind).hand_off is not Kind.hand_off
    unknown = sorted(set(part) - set(HandOff.model_fields))
    problems = [f"hand-off keys {unknown} are not fields of handoff.config.HandOff"] if unknown else []
    return problems + ([] if bool(part) == overrides else ["hand_off is overridden but gives nothing"])


def status_problems(kind: Kind) -> list[str]:
    problems = []
    for (service, shape), values in kind.statuses.items():
        enum = set(service_model(service).shape_for(shape).enum or ())
        if not values <= enum:
            problems.append(f"statuses {sorted(values - enum)} are not in botocore's {service} {shape}")
    declared = {value for values in kind.statuses.values() for value in values}
    used = statuses_used(sys.modules[type(kind).__module__])
    if used - declared:
        problems.append(f"its module waits on or compares with undeclared statuses {sorted(used - declared)}")
    return problems


def statuses_used(module: Any) -> set[str]:
    """The status values a module passes to the waits (done=, failed=) or compares a `status` with."""
    used: set[str] = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in WAITS:
            for keyword in node.keywords:
                if keyword.arg in ("done", "failed"):
                    used |= set(_value(keyword.value, module))
        elif isinstance(node, ast.Compare) and "status" in ast.unparse(node.left):
            for comparator in node.comparators:
                value = _value(comparator, module)
                used |= {value} if isinstance(value, str) else set(value)
    return used


def _value(node: ast.expr, module: Any) -> Any:
    return eval(compile(ast.Expression(node), "<status>", "eval"), vars(module))  # names and | of module constants


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_the_spec_literal_is_the_kind_name(kind: Kind) -> None:
    assert spec_literal_problems(kind) == []


@pytest.mark.parametrize("name", list(KINDS))
def test_there_is_a_sample(name: str, samples: dict[str, Sample]) -> None:
    assert name in samples, f"no {name} in the shipped stack.yaml: add a sample resource to SAMPLES in {__file__}"


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_force_new_paths_are_in_the_desired_document(kind: Kind, samples: dict[str, Sample]) -> None:
    assert force_new_problems(kind, samples[kind.kind]) == []


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_the_name_pattern_compiles_and_takes_the_default_name(kind: Kind, samples: dict[str, Sample]) -> None:
    assert name_problems(kind, samples[kind.kind]) == []


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_hand_off_keys_are_hand_off_fields(kind: Kind, samples: dict[str, Sample]) -> None:
    assert hand_off_problems(kind, samples[kind.kind]) == []


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_statuses_come_from_botocores_enums(kind: Kind) -> None:
    assert status_problems(kind) == []


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_a_child_kind_names_its_owner(kind: Kind) -> None:
    """A kind owned through another (owner_kind) says which one owns a live resource: apply reads that owner's
    tag again before deleting the child, also when the owner is not in the plan (reconciler.applying)."""
    if kind.owner_kind is not None:
        assert kind.owner_kind in KINDS
        assert type(kind).owner_name is not Kind.owner_name, f"{kind.kind} has an owner_kind but no owner_name"


def test_the_registry_names_each_kind_by_its_name() -> None:
    assert all(name == kind.kind for name, kind in KINDS.items())


def test_an_incomplete_kind_is_caught() -> None:
    kind = Incomplete()
    live = Live("n", True, {"value": 1}, {"id": "i"})
    sample = Sample("thing", {}, {"value": 1}, live)
    assert spec_literal_problems(kind) == ["spec model's kind is Literal['other'], not ['incomplete']"]
    assert force_new_problems(kind, sample) == ["force_new path ('missing',) is not in desired()"]
    assert name_problems(kind, sample)[0].startswith("name_pattern does not compile")
    assert hand_off_problems(kind, sample) == ["hand-off keys ['incomplete'] are not fields of handoff.config.HandOff"]
    assert status_problems(kind) == [
        "statuses ['GONE'] are not in botocore's dynamodb TableStatus",
        "its module waits on or compares with undeclared statuses ['DELETING']",
    ]
