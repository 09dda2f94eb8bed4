"""The registry of resource kinds: `all_kinds()` is the only list to extend when adding one (and
tests/kinds/test_contract.py then fails until the new kind is whole).

The engine builds the registry once per command and hands it on: the loaded `Stack` carries it (loading,
reading, planning, drift and saved plans read `stack.kinds`) and so does the `Context` (applying reads
`ctx.kinds`). Nothing else imports a kind module; importing `reconciler.kinds.base` (the interface) loads none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.kinds.base import Kind

Kinds = Mapping[str, "Kind"]
"""A registry: kind name -> the kind."""


def all_kinds() -> dict[str, Kind]:
    from reconciler.kinds.agent_runtime import AgentRuntime
    from reconciler.kinds.artifact_bucket import ArtifactBucket
    from reconciler.kinds.code_artifact import CodeArtifact
    from reconciler.kinds.config_parameter import ConfigParameter
    from reconciler.kinds.function_url import FunctionUrl
    from reconciler.kinds.gateway import Gateway
    from reconciler.kinds.gateway_target import GatewayTarget
    from reconciler.kinds.iam_role import IamRole
    from reconciler.kinds.lambda_function import LambdaFunction
    from reconciler.kinds.oauth2_provider import Oauth2Provider
    from reconciler.kinds.secret_parameter import SecretParameter
    from reconciler.kinds.session_table import SessionTable
    from reconciler.kinds.workload_identity import WorkloadIdentity

    kinds: tuple[Kind, ...] = (
        IamRole(),
        WorkloadIdentity(),
        Oauth2Provider(),
        Gateway(),
        GatewayTarget(),
        ArtifactBucket(),
        CodeArtifact(),
        SessionTable(),
        AgentRuntime(),
        LambdaFunction(),
        FunctionUrl(),
        SecretParameter(),
        ConfigParameter(),
    )
    return {kind.kind: kind for kind in kinds}
