"""AgentCore Runtime control plane (`/runtimes/...` of bedrock-agentcore-control), in place of moto's
model, whose ids, ARNs (`agent/<uuid>:<version>`), missing DEFAULT endpoint, endless UPDATING and
partial updates differ from AWS (request rules: sandbox.runtime_requests).

Lifecycle, modelled on what Terraform's waiters expect (hashicorp/terraform-provider-aws
internal/service/bedrockagentcore/agent_runtime.go: CREATING -> READY, UPDATING -> READY, DELETING
-> not found) and deterministic, like the sandbox's gateways: a created or updated runtime is
CREATING/UPDATING until one GetAgentRuntime has seen it so; the next read settles it to READY, or to
CREATE_FAILED/UPDATE_FAILED with a failureReason when the code cannot run (the zip is missing from
S3, is not a zip, lacks its entry point, or names a Python the sandbox does not have). A deleted one
answers DELETING once, then ResourceNotFound; DeleteAgentRuntime of one that is gone answers
AccessDeniedException (`_not_authorized`). Statuses come from botocore's AgentRuntimeStatus enum.

Each create or update is a new version holding the whole document; UpdateAgentRuntime resets every
optional field it leaves out (UNCONFIRMED, the stricter reading, as the API doc says of
UpdateGateway; Terraform sends the whole document). The DEFAULT endpoint is created with the runtime
and follows the newest READY version (devguide "AgentCore Runtime versioning and endpoints"); it
cannot be updated or deleted by hand (UNCONFIRMED). CreateAgentRuntime checks the role: it must
exist and trust bedrock-agentcore.amazonaws.com, else ValidationException "Role validation failed"
(the message Terraform retries on for IAM propagation; the exact checks are UNCONFIRMED). The account's first
runtime creates the service-linked role AWSServiceRoleForBedrockAgentCoreRuntimeIdentity (devguide "Using
service-linked roles for Amazon Bedrock AgentCore"; AWS managed policy BedrockAgentCoreRuntimeIdentityServiceRolePolicy,
2025-10-11) with the caller's permissions: a caller whose policies do not allow iam:CreateServiceLinkedRole on it is
refused with "Failed creating service linked role. Please verify that the calling role has sufficient permissions
to create a service linked role." (public deployment reports, 2026; the error code is UNCONFIRMED:
AccessDeniedException here). The sandbox's own keys are the root user, whom no policy limits.

Under SANDBOX_CONSISTENCY=eventual (sandbox.consistency, as for gateways) the first GetAgentRuntime
after a create is ResourceNotFound, and the first after an update returns the runtime as it was
before it: Terraform's waiters tolerate the one and require two READY reads for the other.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote

from moto.iam.models import iam_backends

from sandbox import consistency
from sandbox.errors import AwsError, conflict, not_found, validation
from sandbox.iam_simulation import allows, principal_of
from sandbox.identity_control import ACCOUNT as DEFAULT_ACCOUNT_ID
from sandbox.identity_requests import tag_operation, tags_of
from sandbox.runtime_requests import (
    DEFAULT_LIFECYCLE,
    authorizer,
    code_location,
    environment,
    header_allowlist,
    network,
    protocol,
    runtime_name,
    same_artifact_type,
)

ACCOUNT = DEFAULT_ACCOUNT_ID
DEFAULT_ENDPOINT = "DEFAULT"
SERVICE_PRINCIPAL = "bedrock-agentcore.amazonaws.com"
IDENTITY_SERVICE = "runtime-identity.bedrock-agentcore.amazonaws.com"
IDENTITY_ROLE = "AWSServiceRoleForBedrockAgentCoreRuntimeIdentity"
SERVICE_LINKED_REFUSAL = (
    "Failed creating service linked role. Please verify that the calling role has sufficient permissions to create "
    "a service linked role."
)
OPTIONAL_FIELDS = (
    "description",
    "authorizerConfiguration",
    "requestHeaderConfiguration",
    "protocolConfiguration",
    "environmentVariables",
)


class Artifacts(Protocol):
    def problem(self, document: dict[str, Any]) -> str | None: ...
    def stop(self, runtime_id: str) -> None: ...


def _now() -> float:
    return datetime.now(UTC).timestamp()


@dataclass
class Version:
    number: str
    document: dict[str, Any]
    status: str
    updated: float = field(default_factory=_now)
    failure: str | None = None
    seen: bool = False  # CREATING/UPDATING has been read once; the next read settles it


@dataclass
class Runtime:
    id: str
    name: str
    arn: str
    identity_arn: str
    versions: list[Version]
    created: float = field(default_factory=_now)
    deleting: bool = False
    unseen: bool = False  # eventual consistency: created, not yet visible to a Get
    stale: dict[str, Any] | None = None  # eventual consistency: updated, the next Get returns this

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def live(self) -> Version | None:
        """The version the DEFAULT endpoint serves: the newest that became READY."""
        return next((v for v in reversed(self.versions) if v.status == "READY"), None)


class RuntimeControl:
    """Thread-safe in-memory runtimes; one per sandbox."""

    def __init__(self, artifacts: Artifacts) -> None:
        self.artifacts = artifacts
        self.lock = threading.Lock()
        self.runtimes: dict[str, Runtime] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.client_tokens: dict[str, dict[str, Any]] = {}

    def owns_arn(self, arn: str) -> bool:
        return ":runtime/" in arn

    def handle(
        self, method: str, parts: list[str], body: dict[str, Any], query: dict[str, str], region: str, key: str | None
    ) -> Any:
        """parts: the path after /runtimes/, split on '/' (empty segments dropped); key: the caller's access key."""
        with self.lock:
            if not parts:
                if method == "PUT":
                    return 202, self._create(body, region, key)
                if method == "POST":
                    summaries = [self._summary(r, r.latest) for r in self.runtimes.values()]
                    return 200, _page(summaries, query, "agentRuntimes")
            elif len(parts) == 1:
                if method == "DELETE" and parts[0] not in self.runtimes:
                    raise _not_authorized(
                        "DeleteAgentRuntime", f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:runtime/{parts[0]}"
                    )
                runtime = self._runtime(parts[0])
                if method == "GET":
                    return 200, self._get(runtime, query.get("version"))
                if method == "PUT":
                    return 202, self._update(runtime, body)
                if method == "DELETE":
                    return 202, self._delete(runtime, query)
            elif parts[1] == "versions" and len(parts) == 2 and method == "POST":
                runtime = self._runtime(parts[0])
                summaries = [self._summary(runtime, v) for v in reversed(runtime.versions)]
                return 200, _page(summaries, query, "agentRuntimes")
            elif parts[1] == "runtime-endpoints":
                return self._endpoints(method, self._runtime(parts[0]), parts[2:], query)
        raise AwsError("UnknownOperationException", f"no route {method} /runtimes/{'/'.join(parts)}", 404)

    def tag_op(self, method: str, arn: str, body: dict[str, Any], tag_keys: list[str]) -> dict[str, Any]:
        with self.lock:
            return tag_operation(self.tags, method, arn, body, tag_keys)

    def find_by_arn(self, arn: str) -> Runtime | None:
        with self.lock:
            runtime = self.runtimes.get(arn.rsplit("/", 1)[-1])
            return runtime if runtime is not None and runtime.arn == arn and not runtime.deleting else None

    # operations
    def _create(self, body: dict[str, Any], region: str, key: str | None) -> dict[str, Any]:
        token = body.get("clientToken")
        if token and token in self.client_tokens:
            return self.client_tokens[token]
        name = runtime_name(body)
        if any(r.name == name for r in self.runtimes.values()):
            raise conflict(f"An agent runtime named {name} already exists")
        document = self._document(body)
        self._check_role(document["roleArn"])
        _service_linked_role(key)
        runtime_id = f"{name}-{''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(10))}"
        arn = f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:runtime/{runtime_id}"
        identity = f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:workload-identity-directory/default/workload-identity/{runtime_id}"
        runtime = Runtime(runtime_id, name, arn, identity, [Version("1", document, "CREATING")])
        runtime.unseen = consistency.current_mode() == "eventual"
        self.runtimes[runtime_id], self.tags[arn] = runtime, tags_of(body.get("tags"))
        answer = {**self._head(runtime, runtime.latest), "createdAt": runtime.created}
        if token:
            self.client_tokens[token] = answer
        return answer

    def _update(self, runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        if runtime.deleting or runtime.latest.status in ("CREATING", "UPDATING"):
            raise conflict(f"agent runtime {runtime.id} is {self._status(runtime)}; wait until it settles")
        document = self._document(body)
        same_artifact_type(runtime.latest.document["agentRuntimeArtifact"], document["agentRuntimeArtifact"])
        if consistency.current_mode() == "eventual":
            runtime.stale = self._doc(runtime, runtime.latest)
        runtime.versions.append(Version(str(len(runtime.versions) + 1), document, "UPDATING"))
        return {**self._head(runtime, runtime.latest), "createdAt": runtime.created, "lastUpdatedAt": _now()}

    def _delete(self, runtime: Runtime, query: dict[str, str]) -> dict[str, Any]:
        if "version" in query:
            raise validation("the sandbox deletes whole runtimes only (agentRuntimeVersion is not modelled)")
        if runtime.deleting:
            raise conflict(f"agent runtime {runtime.id} is already being deleted")
        runtime.deleting = True
        self.artifacts.stop(runtime.id)
        return {"status": "DELETING", "agentRuntimeId": runtime.id, "agentRuntimeVersion": runtime.latest.number}

    def _get(self, runtime: Runtime, number: str | None) -> dict[str, Any]:
        if runtime.deleting:  # seen DELETING once; gone from now on
            del self.runtimes[runtime.id]
            self.tags.pop(runtime.arn, None)
            return {**self._doc(runtime, runtime.latest), "status": "DELETING"}
        if runtime.unseen:
            runtime.unseen = False
            raise not_found(f"agent runtime {runtime.id}")
        if runtime.stale is not None and number is None:
            stale, runtime.stale = runtime.stale, None
            return stale
        if number is None:
            self._settle(runtime)
            return self._doc(runtime, runtime.latest)
        version = next((v for v in runtime.versions if v.number == number), None)
        if version is None:
            raise not_found(f"version {number} of agent runtime {runtime.id}")
        return self._doc(runtime, version)

    def _settle(self, runtime: Runtime) -> None:
        latest = runtime.latest
        if latest.status not in ("CREATING", "UPDATING") or not latest.seen:
            latest.seen = True
            return
        latest.failure = self.artifacts.problem(latest.document)
        failed = "CREATE_FAILED" if latest.status == "CREATING" else "UPDATE_FAILED"
        latest.status, latest.updated = (failed if latest.failure else "READY"), _now()
        if latest.status == "READY":
            self.artifacts.stop(runtime.id)  # the DEFAULT endpoint moves on: older versions stop serving

    def _endpoints(self, method: str, runtime: Runtime, rest: list[str], query: dict[str, str]) -> Any:
        if not rest and method == "POST":
            return 200, _page([self._endpoint(runtime)], query, "runtimeEndpoints")
        if rest == [DEFAULT_ENDPOINT] and method == "GET":
            return 200, self._endpoint(runtime)
        if rest and rest[0] != DEFAULT_ENDPOINT and method == "GET":
            raise not_found(f"endpoint {rest[0]} of agent runtime {runtime.id}")
        if rest == [DEFAULT_ENDPOINT]:
            raise validation("the DEFAULT endpoint is managed by AgentCore; it follows the latest version")
        raise AwsError("UnknownOperationException", "the sandbox models only the DEFAULT endpoint", 404)

    # documents
    def _document(self, body: dict[str, Any]) -> dict[str, Any]:
        code_location(body.get("agentRuntimeArtifact"))
        authorizer(body)
        header_allowlist(body)
        document: dict[str, Any] = {
            "agentRuntimeArtifact": body["agentRuntimeArtifact"],
            "roleArn": body["roleArn"],
            "networkConfiguration": network(body),
            "lifecycleConfiguration": {**DEFAULT_LIFECYCLE, **(body.get("lifecycleConfiguration") or {})},
        }
        values = {**body, "environmentVariables": environment(body), "protocolConfiguration": protocol(body)}
        document.update({key: values[key] for key in OPTIONAL_FIELDS if values.get(key) is not None})
        return document

    def _check_role(self, role_arn: str) -> None:
        roles = iam_backends[ACCOUNT]["global"].roles.values()
        found = next((role for role in roles if role.arn == role_arn), None)
        trust = json.loads(unquote(found.assume_role_policy_document)) if found else {}
        services = [
            s.get("Principal", {}).get("Service")
            for s in trust.get("Statement", [])
            if s.get("Effect") == "Allow" and "sts:AssumeRole" in _listed(s.get("Action"))
        ]
        if not any(SERVICE_PRINCIPAL in _listed(service) for service in services):
            raise validation(
                f"Role validation failed for {role_arn}: the role must exist and trust {SERVICE_PRINCIPAL} (sts:AssumeRole)"
            )

    def _status(self, runtime: Runtime) -> str:
        return "DELETING" if runtime.deleting else runtime.latest.status

    def _head(self, runtime: Runtime, version: Version) -> dict[str, Any]:
        return {
            "agentRuntimeArn": runtime.arn,
            "agentRuntimeId": runtime.id,
            "agentRuntimeVersion": version.number,
            "workloadIdentityDetails": {"workloadIdentityArn": runtime.identity_arn},
            "status": self._status(runtime) if version is runtime.latest else version.status,
        }

    def _doc(self, runtime: Runtime, version: Version) -> dict[str, Any]:
        doc = {**self._head(runtime, version), **version.document, "agentRuntimeName": runtime.name}
        doc.update(createdAt=runtime.created, lastUpdatedAt=version.updated)
        return {**doc, "failureReason": version.failure} if version.failure else doc

    def _summary(self, runtime: Runtime, version: Version) -> dict[str, Any]:
        head = self._head(runtime, version)
        return {
            "agentRuntimeArn": runtime.arn,
            "agentRuntimeId": runtime.id,
            "agentRuntimeVersion": version.number,
            "agentRuntimeName": runtime.name,
            "description": version.document.get("description", ""),
            "lastUpdatedAt": version.updated,
            "status": head["status"],
        }

    def _endpoint(self, runtime: Runtime) -> dict[str, Any]:
        live, latest = runtime.live, runtime.latest
        status = {"CREATING": "CREATING", "UPDATING": "UPDATING", "CREATE_FAILED": "CREATE_FAILED"}
        endpoint: dict[str, Any] = {
            "name": DEFAULT_ENDPOINT,
            "id": DEFAULT_ENDPOINT,
            "agentRuntimeEndpointArn": f"{runtime.arn}/runtime-endpoint/{DEFAULT_ENDPOINT}",
            "agentRuntimeArn": runtime.arn,
            "status": "DELETING" if runtime.deleting else status.get(latest.status, "READY"),
            "createdAt": runtime.created,
            "lastUpdatedAt": (live or latest).updated,
        }
        if live is not None:
            endpoint["liveVersion"] = live.number
        if latest.status in ("CREATING", "UPDATING"):
            endpoint["targetVersion"] = latest.number
        return endpoint

    def _runtime(self, runtime_id: str) -> Runtime:
        if runtime_id not in self.runtimes:
            raise not_found(f"agent runtime {runtime_id}")
        return self.runtimes[runtime_id]


def _service_linked_role(key: str | None) -> None:
    """The runtime-identity service-linked role, created with the caller's permissions when the account lacks it."""
    backend = iam_backends[ACCOUNT]["global"]
    if any(role.name == IDENTITY_ROLE for role in backend.roles.values()):
        return
    arn = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{IDENTITY_SERVICE}/{IDENTITY_ROLE}"
    principal = principal_of(ACCOUNT, key) if key else None
    context = {"iam:awsservicename": [IDENTITY_SERVICE]}  # the request's own, for a grant conditioned on it
    if principal is not None and not allows(ACCOUNT, principal, "iam:CreateServiceLinkedRole", arn, context):
        raise AwsError("AccessDeniedException", SERVICE_LINKED_REFUSAL, 403)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": IDENTITY_SERVICE}, "Action": "sts:AssumeRole"}],
    }
    backend.create_role(
        IDENTITY_ROLE,
        json.dumps(trust),
        f"/aws-service-role/{IDENTITY_SERVICE}/",
        permissions_boundary=None,
        description="Workload identity access tokens and OAuth credentials for agent runtimes",
        tags=[],
        max_session_duration="3600",
        linked_service=IDENTITY_SERVICE,
    )


def _page(items: list[dict[str, Any]], query: dict[str, str], key: str) -> dict[str, Any]:
    size, start = int(query.get("maxResults") or 100), int(query.get("nextToken") or 0)
    result: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        result["nextToken"] = str(start + size)
    return result


def _not_authorized(action: str, resource: str) -> AwsError:
    """DeleteAgentRuntime of a runtime that is gone answers AccessDenied, not ResourceNotFound (AWS_FACTS.md,
    the turn-3 audit; hashicorp/terraform-provider-aws treats that answer to its delete as "already gone").
    When AWS answers so rather than 404 is UNCONFIRMED: the sandbox always does, the stricter reading."""
    message = f"User: arn:aws:iam::{ACCOUNT}:user/sandbox is not authorized to perform: bedrock-agentcore:{action} on resource: {resource}"
    return AwsError("AccessDeniedException", message, 403)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])
