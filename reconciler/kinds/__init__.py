"""The registry of resource kinds: the only list to extend when adding one."""

from __future__ import annotations

from reconciler.kinds.agent_runtime import AgentRuntime
from reconciler.kinds.artifact_bucket import ArtifactBucket
from reconciler.kinds.base import Kind
from reconciler.kinds.code_artifact import CodeArtifact
from reconciler.kinds.gateway import Gateway
from reconciler.kinds.gateway_target import GatewayTarget
from reconciler.kinds.iam_role import IamRole
from reconciler.kinds.oauth2_provider import Oauth2Provider
from reconciler.kinds.session_table import SessionTable
from reconciler.kinds.workload_identity import WorkloadIdentity

KINDS: dict[str, Kind] = {
    k.kind: k
    for k in (
        IamRole(),
        WorkloadIdentity(),
        Oauth2Provider(),
        Gateway(),
        GatewayTarget(),
        ArtifactBucket(),
        CodeArtifact(),
        SessionTable(),
        AgentRuntime(),
    )
}
