"""IAM policy simulation for the sandbox: `iam:SimulatePrincipalPolicy`, which moto does not implement (its
request was an InternalFailure), and who the sandbox's own fixed credentials are (`sts:GetCallerIdentity`).
`reconcile preflight` asks both; `install()` (from sandbox.moto_fidelity) adds them to moto's classes.

Request and response follow the IAM API reference: SimulatePrincipalPolicy (PolicySourceArn, ActionNames,
ResourceArns default `*`, PolicyInputList, MaxItems/Marker; IsTruncated, Marker), EvaluationResult and
ResourceSpecificResult. As the reference now says, there is ONE EvaluationResult per action whatever the number
of resources: its EvalDecision is the most restrictive of the per-resource ones (explicitDeny > implicitDeny >
allowed), and each resource's own decision is in ResourceSpecificResults. Which ARN AWS puts in the aggregate's
EvalResourceName is UNCONFIRMED: here the first requested one.

What it evaluates: the identity-based policies of the user (inline, attached, and those of its groups), role or
group named by PolicySourceArn, plus PolicyInputList; Allow/Deny, Action/NotAction, Resource/NotResource, the
wildcards `*` and `?`, action names case-insensitive and resources case-sensitive; an explicit Deny wins, no
Allow is an implicitDeny. What it does NOT model, and where AWS may therefore decide differently:
- Conditions: only StringEquals and StringLike, on keys the request's ContextEntries give (names case-insensitive,
  values case-sensitive, a key holding when any of its values matches any of the condition's). A statement with any
  other operator, or a key the context lacks, is treated as not matching (AWS, given no ContextEntries, finds the
  keys missing, and most operators are then false), and its keys are listed in MissingContextValues. Conditions
  that hold without context (`...IfExists`, `Null`) are therefore stricter here than on AWS.
- Permissions boundaries (AWS applies the entity's; PermissionsBoundaryPolicyInputList), Organizations SCPs
  (OrganizationsDecisionDetail), resource-based policies (ResourcePolicy, CallerArn, ResourceOwner), session
  policies, and ResourceHandlingOption: such a request is refused with InvalidInput saying so,
  rather than answered as if the parameter were not there.
- ARN matching per segment: a `*` here may match across a colon; IAM matches within ARN segments.
- AWS managed policies moto has not loaded (moto loads them only with MOTO_IAM_LOAD_MANAGED_POLICIES).

Who calls: GetCallerIdentity with the sandbox's fixed credentials (not an IAM user's key) answers as AWS answers
for the account's root user (`arn:aws:iam::<account>:root`, UserId = the account id): those credentials are
allowed everything, as root is, and moto's fallback (`arn:aws:sts::<account>:user/moto`) names a principal that
cannot exist. Keys of IAM users and assumed roles keep moto's answers.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult
from moto.iam.exceptions import InvalidInput, NoSuchEntity
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.sts.models import STSBackend, sts_backends

NOT_MODELLED = (
    "PermissionsBoundaryPolicyInputList",
    "ResourcePolicy",
    "ResourceOwner",
    "CallerArn",
    "ResourceHandlingOption",
)
SOURCE_ARN = re.compile(r"arn:aws:iam::(\d{12}):(user|role|group)(/(?:[^/]+/)*)([^/]+)")
RANK = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}
MOTO_FALLBACK_USER = ":user/moto"

_installed = threading.Lock()
_done = False


@dataclass(frozen=True)
class Policy:
    """One policy document and how AWS names it in MatchedStatements (SourcePolicyId, SourcePolicyType)."""

    source_id: str
    source_type: str
    document: dict[str, Any]


@dataclass
class Decision:
    decision: str = "implicitDeny"
    matched: list[Policy] = field(default_factory=list)
    missing_context: set[str] = field(default_factory=set)


def install() -> None:
    global _done
    with _installed:
        if _done:
            return
        IamResponse.simulate_principal_policy = _simulate_principal_policy  # type: ignore[attr-defined]
        _answer_root(STSBackend)
        _done = True


def principal_of(account: str, key: str) -> str | None:
    """The IAM user or role whose policies decide for a request signed with access key `key`: a user's own key,
    or a role session's (sts:AssumeRole); None for any other key (the sandbox's own: its account's root user)."""
    backend = iam_backends[account]["global"]  # snapshots: other request threads may change them meanwhile
    user = next((u for u in list(backend.users.values()) if any(k.access_key_id == key for k in u.access_keys)), None)
    if user is not None:
        return str(user.arn)
    session = next((r for r in list(sts_backends[account]["global"].assumed_roles) if r.access_key_id == key), None)
    return None if session is None else str(session.role_arn)


Context = dict[str, list[str]]
"""Condition key (lower case) -> its values in the request."""


def allows(account: str, principal: str, action: str, resource: str, context: Context | None = None) -> bool:
    """Whether `principal`'s identity-based policies allow `action` on `resource` in the request's `context` (a
    principal that is gone: no)."""
    try:
        policies = _policies_of(iam_backends[account]["global"], principal)
    except NoSuchEntity:
        return False
    return decide(policies, action, resource, context or {}).decision == "allowed"


def decide(policies: Iterable[Policy], action: str, resource: str, context: Context | None = None) -> Decision:
    """The decision of identity-based `policies` for `action` on `resource` (what this module models: above)."""
    found = Decision()
    for policy in policies:
        for statement in _statements(policy.document):
            if not _concerns(statement, action, resource):
                continue
            if "Condition" in statement and not _holds(statement["Condition"], context or {}, found):
                continue
            if statement.get("Effect") == "Deny":
                return Decision("explicitDeny", [policy], found.missing_context)
            if statement.get("Effect") == "Allow":
                found.decision = "allowed"
                found.matched.append(policy)
    return found


def _simulate_principal_policy(self: Any) -> ActionResult:
    params = self._get_params()
    asked = [name for name in NOT_MODELLED if params.get(name)]
    if asked:
        raise InvalidInput(
            f"the sandbox does not model {', '.join(asked)} in SimulatePrincipalPolicy (sandbox.iam_simulation)"
        )
    policies = [*_policies_of(self.backend, params["PolicySourceArn"]), *_inputs(params.get("PolicyInputList") or [])]
    resources = params.get("ResourceArns") or ["*"]
    context = _context(params.get("ContextEntries") or [])
    results = [
        _result(policies, action, resources, context, specific="ResourceArns" in params)
        for action in params["ActionNames"]
    ]
    start = int(params.get("Marker") or 0)
    end = start + int(params.get("MaxItems") or 100)
    page: dict[str, Any] = {"EvaluationResults": results[start:end], "IsTruncated": end < len(results)}
    if page["IsTruncated"]:
        page["Marker"] = str(end)
    return ActionResult(page)


def _result(
    policies: list[Policy], action: str, resources: list[str], context: Context, *, specific: bool
) -> dict[str, Any]:
    each = [(resource, decide(policies, action, resource, context)) for resource in resources]
    worst = max(each, key=lambda pair: RANK[pair[1].decision])[1]
    result: dict[str, Any] = {
        "EvalActionName": action,
        "EvalResourceName": resources[0],
        "EvalDecision": worst.decision,
        "MatchedStatements": _matched(worst),
        "MissingContextValues": sorted(set().union(*(d.missing_context for _, d in each))),
    }
    if specific:
        result["ResourceSpecificResults"] = [
            {
                "EvalResourceName": resource,
                "EvalResourceDecision": found.decision,
                "MatchedStatements": _matched(found),
                "MissingContextValues": sorted(found.missing_context),
            }
            for resource, found in each
        ]
    return result


def _matched(found: Decision) -> list[dict[str, str]]:
    return [{"SourcePolicyId": p.source_id, "SourcePolicyType": p.source_type} for p in found.matched]


def _policies_of(backend: Any, source_arn: str) -> list[Policy]:
    """The identity-based policies of the user, role or group `source_arn` names (NoSuchEntity if none does)."""
    match = SOURCE_ARN.fullmatch(source_arn)
    if match is None:
        raise InvalidInput(f"PolicySourceArn {source_arn!r} must be the ARN of an IAM user, group or role")
    account, kind, path, name = match.groups()
    entity = _entity(backend, kind, name) if account == backend.account_id else None
    if entity is None or entity.path != path:
        raise NoSuchEntity(f"The {kind} with name {name} cannot be found.")
    policies = _own(entity, kind)
    if kind == "user":
        for group in backend.get_groups_for_user(name):
            policies += _own(group, "group")
    return policies


def _entity(backend: Any, kind: str, name: str) -> Any:
    found: Any = {"user": backend.users, "role": {r.name: r for r in backend.roles.values()}, "group": backend.groups}
    return found[kind].get(name)


def _own(entity: Any, kind: str) -> list[Policy]:
    inline = [Policy(name, kind, _document(text)) for name, text in entity.policies.items()]
    attached = [
        Policy(policy.name, "aws-managed" if ":aws:policy/" in arn else "user-managed", _document(_default(policy)))
        for arn, policy in entity.managed_policies.items()
    ]
    return inline + attached


def _default(policy: Any) -> str:
    return str(next(version.document for version in policy.versions if version.is_default))


def _inputs(documents: list[str]) -> list[Policy]:
    return [Policy(f"PolicyInputList.{n}", "none", _document(text)) for n, text in enumerate(documents, 1)]


def _document(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        found = json.loads(text)
    except ValueError:
        found = json.loads(unquote(text))
    if not isinstance(found, dict):
        raise InvalidInput("a policy document must be a JSON object")
    return found


def _statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    statements = document.get("Statement", [])
    yield from [statements] if isinstance(statements, dict) else statements


def _concerns(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "NotAction" in statement:
        acts = not _any_match(statement["NotAction"], action, fold=True)
    else:
        acts = _any_match(statement.get("Action", []), action, fold=True)
    if "NotResource" in statement:
        return acts and not _any_match(statement["NotResource"], resource, fold=False)
    return acts and _any_match(statement.get("Resource", []), resource, fold=False)


def _any_match(patterns: str | list[str], value: str, *, fold: bool) -> bool:
    flags = re.IGNORECASE if fold else 0
    return any(re.fullmatch(_regex(p), value, flags) for p in ([patterns] if isinstance(patterns, str) else patterns))


def _regex(pattern: str) -> str:
    """IAM's wildcards: `*` any run of characters (also none), `?` exactly one; everything else literal."""
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def _condition_keys(condition: dict[str, Any]) -> set[str]:
    return {key for block in condition.values() if isinstance(block, dict) for key in block}


MODELLED_OPERATORS = {"StringEquals": False, "StringLike": True}
"""Operator -> whether its values are IAM wildcards."""


def _holds(condition: dict[str, Any], context: Context, found: Decision) -> bool:
    """Every block holds in `context` (IAM ANDs them); else the unmodelled or missing keys are noted in `found`."""
    for operator, block in condition.items():
        wildcards = MODELLED_OPERATORS.get(operator)
        if wildcards is None or not isinstance(block, dict) or any(k.lower() not in context for k in block):
            found.missing_context.update(_condition_keys(condition))
            return False
        for key, wanted in block.items():
            patterns = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted]
            given = context[key.lower()]
            if not any(re.fullmatch(_regex(p) if wildcards else re.escape(p), v) for p in patterns for v in given):
                return False
    return True


def _context(entries: list[dict[str, Any]]) -> Context:
    """SimulatePrincipalPolicy's ContextEntries as a Context."""
    return {str(e["ContextKeyName"]).lower(): [str(v) for v in e.get("ContextKeyValues") or []] for e in entries}


def _answer_root(cls: Any) -> None:
    original = cls.get_caller_identity

    def get_caller_identity(self: Any, access_key_id: str, region: str) -> tuple[str, str, str]:
        user_id, arn, account = original(self, access_key_id, region)
        if arn.endswith(MOTO_FALLBACK_USER):
            return account, f"arn:aws:iam::{account}:root", account
        return user_id, arn, account

    cls.get_caller_identity = get_caller_identity
