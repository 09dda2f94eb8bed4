"""`reconcile preflight`: before an apply, may the caller make every call this stack's kinds make, and will
the account let a first apply through? Called by reconciler.cli; reads AWS, changes nothing.

Permissions: every row of reconciler.permissions for the kinds the stack declares (any plan's calls: the first
apply creates, later ones update, replace and delete), filled with the stack's name, region, account and
artifact buckets, asked of IAM with SimulatePrincipalPolicy for the caller's principal. The caller comes from
STS GetCallerIdentity; a role session (`assumed-role/NAME/SESSION`) is simulated as its role, whose ARN (with
its path) GetRole gives. The account's root user and federated-user sessions have no policies to simulate:
the report says so instead of guessing.

Simulation answers for identity-based policies (and, on AWS, the entity's permissions boundary and the
Organizations SCPs in force); resource-based policies are not consulted. Resources are the table's patterns
with their `*` kept (`arn:aws:iam::<account>:role/<stack>-*`): a policy that grants them, or something wider,
is "allowed"; a narrower one (one role by name) is reported missing although an apply might pass.

Account checks: AgentCore answers in the region (ListGateways), and each artifact bucket's global name is free
or already this stack's (HeadBucket, GetBucketTagging). iam:CreateServiceLinkedRole (reconciler.permissions) is
asked only while the account lacks AgentCore's runtime-identity service-linked role (GetRole): once it exists, no
apply creates it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler import aws, permissions
from reconciler.live import OWNER_TAG
from reconciler.stack import Stack

SERVICE_LINKED_ACTION = "iam:CreateServiceLinkedRole"
ROOT_NOTE = (
    "the caller is the account's root user: IAM policies do not limit it, so no permission was simulated (an "
    "Organizations SCP still can deny). AWS advises against deploying as root: run preflight as the IAM user or "
    "role that will apply (the sandbox's fixed credentials are the root user of its account)"
)


@dataclass(frozen=True)
class Question:
    """May the caller do `action` on `resource`? `operations`: the botocore calls that need it."""

    action: str
    resource: str
    operations: tuple[str, ...]


@dataclass(frozen=True)
class Caller:
    """Who STS says the caller is (`arn`), and the IAM principal whose policies decide (`source`, None when
    there is none to simulate: `kind` then says why)."""

    arn: str
    account: str
    kind: str
    source: str | None


@dataclass(frozen=True)
class Denial:
    question: Question
    decision: str
    conditions: tuple[str, ...] = ()
    """Context keys a Condition in the caller's policies depends on: the simulator could not decide them."""


@dataclass(frozen=True)
class Finding:
    """An account-level problem a first apply would trip on, and what to do."""

    summary: str
    detail: str


@dataclass
class Report:
    caller: Caller
    asked: int = 0
    denials: list[Denial] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.denials and not self.findings


def questions_for(stack: Stack, *, region: str, account: str) -> tuple[list[Question], list[str]]:
    """The table's rows the stack needs, filled in; pure. Also notes on rows that could not be filled."""
    kinds = {decl.kind for decl in stack.resources.values()}
    buckets = sorted(decl.name for decl in stack.resources.values() if decl.kind == "artifact_bucket")
    asked: dict[tuple[str, str], list[str]] = {}
    skipped: set[str] = set()
    groups = permissions.groups_for(kinds)
    for need in (n for n in permissions.NEEDS if n.group in groups):
        for pattern in need.resources:
            if "{bucket}" in pattern and not buckets:
                skipped.add(need.action)
                continue
            for bucket in buckets or [""]:
                arn = pattern.format(stack=stack.name, region=region, account=account, bucket=bucket)
                asked.setdefault((need.action, arn), []).append(need.operation)
    notes = [
        f"not checked (the stack declares no artifact_bucket to name the code's bucket): {', '.join(sorted(skipped))}"
    ] * bool(skipped)
    return [Question(action, arn, tuple(dict.fromkeys(ops))) for (action, arn), ops in asked.items()], notes


def identify_caller(sts: Any, iam: Any) -> Caller:
    """The caller as STS names it, and the IAM user or role to simulate."""
    found = sts.get_caller_identity()
    arn, account = found["Arn"], found["Account"]
    resource = arn.split(":", 5)[5]
    if resource == "root":
        return Caller(arn, account, "root", None)
    kind = resource.split("/", 1)[0]
    if kind == "user":
        return Caller(arn, account, kind, arn)
    if kind == "assumed-role":
        return Caller(arn, account, kind, _role_arn(iam, account, resource.split("/")[1]))
    return Caller(arn, account, kind, None)


def _role_arn(iam: Any, account: str, name: str) -> str:
    """The role's ARN with its path (an assumed-role ARN omits it; SSO roles live under /aws-reserved/...)."""
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except aws.ClientError as exc:
        raise RuntimeError(
            f"cannot resolve role {name!r} of this session to its ARN ({aws.error_code(exc)}: {aws.error_message(exc)}); "
            f"preflight needs iam:GetRole on arn:aws:iam::{account}:role/*{name}"
        ) from exc


def _has_service_linked_role(iam: Any) -> bool:
    """Whether the account has AgentCore's runtime-identity role, asked with iam:ListRoles (which the table already
    needs, where GetRole on that path it does not); False when it cannot be told (its creation is then asked)."""
    prefix = f"/aws-service-role/{permissions.IDENTITY_SERVICE}/"
    try:
        pages = iam.get_paginator("list_roles").paginate(PathPrefix=prefix)
        return any(r["RoleName"] == permissions.IDENTITY_SERVICE_ROLE for page in pages for r in page["Roles"])
    except aws.ClientError:
        return False


def find_denials(iam: Any, source: str, questions: list[Question]) -> list[Denial]:
    """The questions IAM's policy simulator does not answer `allowed`, one simulation per resource."""
    by_resource: dict[str, list[Question]] = {}
    for question in questions:
        by_resource.setdefault(question.resource, []).append(question)
    denials = []
    for resource, asked in by_resource.items():
        decisions = _simulate(iam, source, resource, sorted({q.action for q in asked}))
        for question in asked:
            decision, conditions = decisions.get(question.action.lower(), ("implicitDeny", ()))
            if decision != "allowed":
                denials.append(Denial(question, decision, conditions))
    return denials


def _simulate(iam: Any, source: str, resource: str, actions: list[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """action (lower case) -> (decision on `resource`, context keys missing). iam:CreateServiceLinkedRole is asked
    with the service it is for (`iam:AWSServiceName`), the condition the usual grant of it carries."""
    context = (
        {
            "ContextEntries": [
                {
                    "ContextKeyName": "iam:AWSServiceName",
                    "ContextKeyValues": [permissions.IDENTITY_SERVICE],
                    "ContextKeyType": "string",
                }
            ]
        }
        if SERVICE_LINKED_ACTION in actions
        else {}
    )
    pages = iam.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=source, ActionNames=actions, ResourceArns=[resource], **context
    )
    found = {}
    for page in pages:
        for result in page["EvaluationResults"]:
            # One result per action; per-resource decisions in ResourceSpecificResults (IAM API reference,
            # EvaluationResult), the top-level decision the most restrictive of them.
            specific = [r for r in result.get("ResourceSpecificResults", []) if r["EvalResourceName"] == resource]
            decision = specific[0]["EvalResourceDecision"] if specific else result["EvalDecision"]
            found[result["EvalActionName"].lower()] = (decision, tuple(result.get("MissingContextValues", [])))
    return found


def _simulated(iam: Any, source: str, questions: list[Question]) -> list[Denial]:
    try:
        return find_denials(iam, source, questions)
    except aws.ClientError as exc:
        if aws.error_code(exc) not in ("AccessDenied", "AccessDeniedException"):
            raise
        raise RuntimeError(
            f"IAM refused to simulate the policies of {source} ({aws.error_message(exc)}): preflight needs "
            f"iam:SimulatePrincipalPolicy on {source}; add it, or ask someone who may to run "
            f"`reconcile preflight --principal {source}`"
        ) from exc


def check_agentcore(control: Any, region: str) -> Finding | None:
    """AgentCore answers in `region` (a call any deployer may make: ListGateways)."""
    try:
        control.list_gateways(maxResults=1)
    except aws.ClientError as exc:
        if aws.error_code(exc) in ("AccessDeniedException", "AccessDenied"):
            return None  # answered: the service is there (the permission itself is in the simulation)
        return Finding(f"AgentCore did not answer in {region}", f"{aws.error_code(exc)}: {aws.error_message(exc)}")
    except Exception as exc:
        if not type(exc).__module__.startswith("botocore"):
            raise
        # EndpointConnectionError and kin. botocore's endpoint data lists no regions for AgentCore (its endpoints
        # come from rules), so the region cannot be checked offline.
        return Finding(
            f"AgentCore is not reachable in {region}",
            f"{type(exc).__name__}: {exc}. Either AgentCore is not offered there (the AgentCore devguide lists its "
            "regions: set `region:` in the stack file to one of them) or the network or AWS_ENDPOINT_URL is wrong",
        )
    return None


def check_bucket(s3: Any, bucket: str, stack: str) -> Finding | None:
    """S3 names are global: the artifact bucket must be free (apply creates it) or this stack's already."""
    try:
        s3.head_bucket(Bucket=bucket)
    except aws.ClientError as exc:
        code = aws.error_code(exc)
        if code in ("404", "NoSuchBucket", "NotFound"):
            return None
        if code in ("403", "AccessDenied", "Forbidden"):
            return Finding(
                f"bucket {bucket!r} belongs to someone else",
                "S3 names are global and this account may not read it: give the artifact_bucket a `name:` of your own",
            )
        if code == "301":
            return Finding(f"bucket {bucket!r} exists in another region", "give the artifact_bucket another `name:`")
        raise
    try:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])}
    except aws.ClientError as exc:
        if aws.error_code(exc) not in ("NoSuchTagSet", "NoSuchTagSetError"):
            raise
        tags = {}
    if tags.get(OWNER_TAG) == stack:
        return None
    owner = f"stack {tags[OWNER_TAG]!r}" if OWNER_TAG in tags else "no stack"
    return Finding(
        f"bucket {bucket!r} exists in this account and belongs to {owner}",
        f"apply changes only what carries {OWNER_TAG}={stack}: `reconcile adopt` it, or give the artifact_bucket "
        "another `name:`",
    )


def run_preflight(
    stack: Stack, clients: aws.Clients, sts: Any, progress: Callable[[str], None], *, principal: str | None = None
) -> Report:
    """`principal`: the IAM user or role ARN to check instead of the caller (an administrator checking a
    pipeline's role before it runs)."""
    progress("Asking STS who the caller is...")
    caller = identify_caller(sts, clients.iam)
    if principal is not None:
        caller = Caller(principal, caller.account, "principal", principal)
    report = Report(caller)
    questions, report.notes = questions_for(stack, region=clients.region, account=caller.account)
    if any(q.action == SERVICE_LINKED_ACTION for q in questions) and _has_service_linked_role(clients.iam):
        questions = [q for q in questions if q.action != SERVICE_LINKED_ACTION]
    report.asked = len(questions)
    if caller.kind == "root":
        report.notes.append(ROOT_NOTE)
    elif caller.source is None:
        report.findings.append(
            Finding(
                f"cannot check the permissions of a {caller.kind} session ({caller.arn})",
                "it has no IAM policies of its own to simulate: run preflight as the IAM user or role that will apply",
            )
        )
    else:
        progress(f"Simulating {len(questions)} permissions for {caller.source} (iam:SimulatePrincipalPolicy)...")
        report.denials = _simulated(clients.iam, caller.source, questions)
    progress(f"Checking the account in {clients.region}: AgentCore, artifact bucket names...")
    buckets = sorted(d.name for d in stack.resources.values() if d.kind == "artifact_bucket")
    found = [
        check_agentcore(clients.control, clients.region),
        *(check_bucket(clients.s3, b, stack.name) for b in buckets),
    ]
    report.findings = [f for f in found if f is not None]
    return report


def missing_policy(denials: list[Denial]) -> dict[str, Any]:
    """A ready-to-paste identity policy granting exactly what was denied: one statement per set of resources
    that share the same actions."""
    by_action: dict[str, list[str]] = {}
    for denial in denials:
        listed = by_action.setdefault(denial.question.action, [])
        if denial.question.resource not in listed:
            listed.append(denial.question.resource)
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action, resources in by_action.items():
        by_resources.setdefault(tuple(resources), []).append(action)
    statements = [
        {"Sid": f"Reconcile{n}", "Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
        for n, (resources, actions) in enumerate(by_resources.items(), 1)
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def format_report(report: Report) -> str:
    """What people read (stderr); the policy itself goes to stdout alone (`format_policy`)."""
    caller = report.caller
    simulated = f" (simulated as {caller.source})" if caller.source not in (None, caller.arn) else ""
    lines = [
        f"Principal: {caller.arn} (--principal)" if caller.kind == "principal" else f"Caller: {caller.arn}{simulated}"
    ]
    lines += [f"Note: {note}." for note in report.notes]
    if report.caller.source is not None:
        allowed = report.asked - len(report.denials)
        lines.append(f"Permissions: {allowed} of {report.asked} allowed.")
    for denial in report.denials:
        q = denial.question
        why = f" (depends on a Condition on {', '.join(denial.conditions)}: not decided)" if denial.conditions else ""
        lines.append(
            f"  missing {q.action} on {q.resource}: {denial.decision}{why}; needed by {', '.join(q.operations)}"
        )
    if any(d.decision == "explicitDeny" for d in report.denials):
        lines.append(
            "An explicit Deny wins over any Allow: adding the policy below is not enough for those; remove the Deny."
        )
    for finding in report.findings:
        lines.append(f"Account: {finding.summary}: {finding.detail}.")
    if report.ok:
        lines.append("Preflight passed: the caller may make every call apply makes, and the account is ready.")
    elif report.denials:
        lines.append("Preflight failed. The policy on stdout grants what is missing: attach it to the caller.")
    else:
        lines.append("Preflight failed: see the account checks above.")
    return "\n".join(lines)


def format_policy(report: Report) -> str:
    return json.dumps(missing_policy(report.denials), indent=2) if report.denials else ""
